import { readStackConfig } from "./lib/config/stack";
import { dropletStack } from "./platforms/droplet/stack";
import { kubernetesStack } from "./platforms/kubernetes/stack";

const { cfg, secrets } = readStackConfig();

/** The stack's outputs: those of the platform the class runs on (docs/kubernetes.md). */
export = cfg.platform === "kubernetes" ? kubernetesStack(cfg, secrets) : dropletStack(cfg, secrets);

import * as pulumi from "@pulumi/pulumi";
import { HubDns } from "../../components/hubDns";
import { ClassConfig } from "../../lib/config/classConfig";
import { oauthCallbackUrl } from "../../lib/bundle";
import { StackSecrets } from "../../lib/config/stack";
import { ClassCluster } from "./components/classCluster";
import { ClassRelease } from "./components/classRelease";
import { PlaceholderSchedule } from "./components/placeholderSchedule";
import { placeholderScaling } from "./placeholderSchedule";
import { chartValues } from "./values";

/**
 * The class on a DigitalOcean Kubernetes cluster: the cluster and its pools, the Zero to
 * JupyterHub release, and the hostname pointing at the proxy's load balancer.
 */
export function kubernetesStack(cfg: ClassConfig, secrets: StackSecrets) {
    const cluster = new ClassCluster("class", {
        clusterName: `${pulumi.getProject()}-${pulumi.getStack()}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63),
        region: cfg.droplet.region,
        kubernetes: cfg.kubernetes!,
    });
    const release = new ClassRelease("class", {
        provider: cluster.provider,
        values: chartValues(cfg),
        oauthClientSecret: secrets.oauthClientSecret,
    });
    const k8s = cfg.kubernetes!;
    if (cfg.classSchedule.meetings.length) {
        new PlaceholderSchedule("class", {
            provider: cluster.provider,
            namespace: release.namespace,
            scaling: placeholderScaling(cfg.classSchedule),
            warmReplicas: k8s.warmPlaceholders,
            idleReplicas: k8s.userPlaceholders,
            image: k8s.placeholderScalerImage,
        });
    }
    new HubDns("class", {
        zoneName: cfg.dnsZone,
        hostname: cfg.hostname,
        ipv4Address: release.loadBalancerIp,
        proxied: cfg.dnsProxied,
    });
    return {
        hubUrl: `https://${cfg.hostname}/`,
        oauthCallbackUrl: oauthCallbackUrl(cfg.hostname),
        loadBalancerIp: release.loadBalancerIp,
        kubeconfig: cluster.kubeconfig,
    };
}

import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import * as kubernetes from "@pulumi/kubernetes";
import { CORE_POOL, KubernetesClass } from "../config";

export interface ClassClusterArgs {
    /** The cluster's name at DigitalOcean; fixed for its life (a new name is a new cluster). */
    readonly clusterName: string;
    /** DigitalOcean region slug, such as sfo3. */
    readonly region: string;
    /** The validated cluster settings: version, the user pool's size and bounds. */
    readonly kubernetes: KubernetesClass;
}

/** The label the chart's matchNodePurpose looks for: hub and proxy on core, students on user. */
const NODE_PURPOSE = "hub.jupyter.org/node-purpose";

/**
 * A DigitalOcean Kubernetes cluster for one class: a small core pool for the hub and the proxy,
 * an autoscaling pool for the students' servers, and a Kubernetes provider for the cluster.
 */
export class ClassCluster extends pulumi.ComponentResource {
    readonly clusterId: pulumi.Output<string>;
    /** The cluster's kubeconfig (secret: it holds an access token). */
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: kubernetes.Provider;

    constructor(name: string, args: ClassClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:ClassCluster", name, {}, opts);
        const { kubernetes: k8s } = args;
        const cluster = new digitalocean.KubernetesCluster(`${name}-cluster`, {
            name: args.clusterName,
            region: args.region,
            version: k8s.version,
            // Upgrades happen when the instructor changes kubernetesVersion, not mid-lecture.
            autoUpgrade: false,
            surgeUpgrade: true,
            // Deleting the cluster leaves its volumes (the students' homes) and load balancer
            // records in the account: DigitalOcean deletes them only when asked to.
            destroyAllAssociatedResources: false,
            nodePool: {
                name: "core",
                size: CORE_POOL.size,
                nodeCount: CORE_POOL.nodes,
                labels: { [NODE_PURPOSE]: "core" },
            },
        }, { parent: this });
        new digitalocean.KubernetesNodePool(`${name}-users`, {
            clusterId: cluster.id,
            name: "users",
            size: k8s.userPool.size,
            autoScale: true,
            minNodes: k8s.userPool.minNodes,
            maxNodes: k8s.userPool.maxNodes,
            labels: { [NODE_PURPOSE]: "user" },
        }, { parent: this });
        this.clusterId = cluster.id;
        this.kubeconfig = pulumi.secret(cluster.kubeConfigs.apply((configs) => configs[0].rawConfig!));
        this.provider = new kubernetes.Provider(`${name}-provider`, {
            kubeconfig: this.kubeconfig,
            enableServerSideApply: true,
        }, { parent: this });
        this.registerOutputs({ clusterId: this.clusterId, kubeconfig: this.kubeconfig });
    }
}

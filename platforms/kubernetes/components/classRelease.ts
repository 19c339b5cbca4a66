import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { cookieSecret } from "../../../components/hubSecrets";
import { CHART, ChartValues, HUB_SECRET } from "../values";

export interface ClassReleaseArgs {
    /** The provider of the class's cluster (ClassCluster). */
    readonly provider: kubernetes.Provider;
    /** The chart's values, from chartValues(cfg): no secret in them. */
    readonly values: ChartValues;
    /** The OAuth app's client secret (a Pulumi secret). */
    readonly oauthClientSecret: pulumi.Input<string>;
}

/** The namespace the class lives in; one class per cluster. */
export const NAMESPACE = "jupyterhub-classroom";

/**
 * The class's JupyterHub on the cluster: its namespace, the stack's Secret, and the Zero to
 * JupyterHub chart as a Helm release. Roster, limits and login page are values of the release, so
 * changing them upgrades the release in place; nothing here replaces the cluster.
 */
export class ClassRelease extends pulumi.ComponentResource {
    /** The public address of the proxy's DigitalOcean load balancer. */
    readonly loadBalancerIp: pulumi.Output<string>;
    /** The namespace of the release's objects, once the release is installed. */
    readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: ClassReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:ClassRelease", name, {}, opts);
        const resource = { parent: this, provider: args.provider };
        const namespace = new kubernetes.core.v1.Namespace(`${name}-namespace`, { metadata: { name: NAMESPACE } }, resource);
        // Created once and kept in the stack's encrypted state, so students stay logged in across upgrades.
        const cookie = cookieSecret(`${name}-cookie-secret`, { parent: this });
        // The chart reads hub.existingSecret's keys before its own. The proxy's token cannot be here:
        // the chart's hub and proxy pods read it from the chart's own Secret only (templates/
        // proxy/deployment.yaml and hub/deployment.yaml at 4.4.0), which takes it from the values
        // or makes it in the cluster; made there, it is in no value and not in the Pulumi state
        // (docs/kubernetes.md, Secrets). The auth-state keys stay the chart's too.
        const secret = new kubernetes.core.v1.Secret(`${name}-hub-secret`, {
            metadata: { name: HUB_SECRET.name, namespace: namespace.metadata.name },
            type: "Opaque",
            stringData: {
                [HUB_SECRET.cookieSecretKey]: cookie,
                [HUB_SECRET.oauthClientSecretKey]: args.oauthClientSecret,
            },
        }, resource);
        const release = new kubernetes.helm.v3.Release(`${name}-release`, {
            name: "jupyterhub",
            chart: CHART.name,
            version: CHART.version,
            repositoryOpts: { repo: CHART.repository },
            namespace: namespace.metadata.name,
            values: args.values,
            // The first install pulls images and waits for the load balancer: minutes, not seconds.
            timeout: 900,
        }, { ...resource, dependsOn: [secret] });
        // The chart's public Service; DigitalOcean gives it a load balancer.
        const proxy = kubernetes.core.v1.Service.get(`${name}-proxy-public`,
            pulumi.interpolate`${release.status.namespace}/proxy-public`, { ...resource, dependsOn: [release] });
        this.loadBalancerIp = proxy.status.loadBalancer.ingress[0].ip;
        this.namespace = release.status.namespace as pulumi.Output<string>;
        this.registerOutputs({ loadBalancerIp: this.loadBalancerIp, namespace: this.namespace });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { CronLine, PlaceholderScaling } from "../placeholderSchedule";

export interface PlaceholderScheduleArgs {
    /** The provider of the class's cluster (ClassCluster). */
    readonly provider: kubernetes.Provider;
    /** The release's namespace, where the chart's user-placeholder StatefulSet lives. */
    readonly namespace: pulumi.Input<string>;
    /** When to scale, from placeholderScaling(cfg.classSchedule). */
    readonly scaling: PlaceholderScaling;
    /** Placeholders during a warm window, and between windows (the release's own replicas). */
    readonly warmReplicas: number;
    readonly idleReplicas: number;
    /** A kubectl image pinned by digest; it needs /bin/kubectl and nothing else. */
    readonly image: string;
}

/** The chart's StatefulSet of placeholder pods (templates/scheduling/user-placeholder at 4.4.0, fullnameOverride ""). */
export const USER_PLACEHOLDER = "user-placeholder";
const SCALER = "placeholder-scaler";
/** kubectl keeps its discovery cache here: the image's root filesystem stays read-only. */
const CACHE_DIR = "/cache";

/**
 * Scales the chart's user placeholders up before each class meeting and down after it, so the
 * autoscaler has the nodes ready when students arrive and removes them afterwards. Each move is a
 * CronJob in the class's time zone running `kubectl patch --subresource=scale`, as a service
 * account that may get and patch the scale of that one StatefulSet and nothing else.
 */
export class PlaceholderSchedule extends pulumi.ComponentResource {
    constructor(name: string, args: PlaceholderScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:PlaceholderSchedule", name, {}, opts);
        const resource = { parent: this, provider: args.provider };
        const metadata = { name: SCALER, namespace: args.namespace };
        const account = new kubernetes.core.v1.ServiceAccount(`${name}-account`, { metadata }, resource);
        const role = new kubernetes.rbac.v1.Role(`${name}-role`, {
            metadata,
            rules: [{ apiGroups: ["apps"], resources: ["statefulsets/scale"], resourceNames: [USER_PLACEHOLDER], verbs: ["get", "patch"] }],
        }, resource);
        const binding = new kubernetes.rbac.v1.RoleBinding(`${name}-binding`, {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
        }, resource);
        const cronJob = (line: CronLine, replicas: number) => new kubernetes.batch.v1.CronJob(`${name}-${line.name}`, {
            metadata: { name: `placeholders-${line.name}`, namespace: args.namespace },
            spec: {
                schedule: line.schedule,
                timeZone: args.scaling.timeZone,
                concurrencyPolicy: "Forbid",
                // A run missed by less than this (the control plane was busy or restarting) still happens.
                startingDeadlineSeconds: 600,
                successfulJobsHistoryLimit: 1,
                failedJobsHistoryLimit: 3,
                jobTemplate: { spec: {
                    backoffLimit: 4,
                    activeDeadlineSeconds: 300,
                    template: { spec: {
                        serviceAccountName: account.metadata.name,
                        restartPolicy: "OnFailure",
                        // On the core pool: a user node never stays up for this pod's sake.
                        nodeSelector: { "hub.jupyter.org/node-purpose": "core" },
                        securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
                        volumes: [{ name: "cache", emptyDir: {} }],
                        containers: [{
                            name: "scale",
                            image: args.image,
                            command: ["/bin/kubectl", "patch", "statefulset", USER_PLACEHOLDER, pulumi.interpolate`--namespace=${args.namespace}`,
                                "--subresource=scale", "--type=merge", `--patch=${JSON.stringify({ spec: { replicas } })}`, `--cache-dir=${CACHE_DIR}`],
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                            volumeMounts: [{ name: "cache", mountPath: CACHE_DIR }],
                        }],
                    } },
                } },
            },
        }, { ...resource, dependsOn: [binding] });
        args.scaling.up.forEach((line) => cronJob(line, args.warmReplicas));
        args.scaling.down.forEach((line) => cronJob(line, args.idleReplicas));
        this.registerOutputs({});
    }
}

import { z } from "zod";

/**
 * The chart values this project sets, typed: every name and type below is taken from the Zero to
 * JupyterHub chart's own schema at the version pinned in values.ts, file jupyterhub/values.schema.yaml
 * of github.com/jupyterhub/zero-to-jupyterhub-k8s at tag 4.4.0. Objects are strict, as that schema's
 * are (additionalProperties: false), so a misspelled or misplaced name fails here, not in a
 * `helm upgrade` on a cluster. The chart's `required` lists apply to the values merged with its
 * defaults; here every field is the project's own choice, so each is required as the project sets it.
 * Where the chart's schema leaves a value open (extraEnv entries, initContainers items), the
 * Kubernetes API's own field names type it.
 */

/** [number, string, null] in the chart: a byte count or a size such as 2G. */
const byteSize = z.union([z.number(), z.string().regex(/^[0-9]+(\.[0-9]+)?[KMGT]?$/)]);

/**
 * hub.extraFiles / singleuser.extraFiles: patternProperties .* → {mountPath, stringData, mode?};
 * each name becomes a key of a Kubernetes Secret, so it follows the API's rule for those.
 */
const extraFiles = z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.object({
    mountPath: z.string().startsWith("/"),
    stringData: z.string(),
    mode: z.number().optional(),
}).strict());

/** Kubernetes EnvVar.valueFrom.secretKeyRef (core/v1). */
const envFromSecret = z.object({
    valueFrom: z.object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }).strict() }).strict(),
}).strict();

/** A Kubernetes core/v1 Container, the fields the course-copy init container uses. */
const initContainer = z.object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    image: z.string(),
    command: z.array(z.string()),
    workingDir: z.string(),
    env: z.array(z.object({ name: z.string(), value: z.string() }).strict()),
    securityContext: z.object({ runAsUser: z.number().int(), allowPrivilegeEscalation: z.boolean() }).strict(),
    volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), subPath: z.string().optional() }).strict()),
}).strict();

export const chartValuesSchema = z.object({
    hub: z.object({
        concurrentSpawnLimit: z.number().int().nullable(),
        existingSecret: z.string().nullable(),
        extraEnv: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.union([z.string(), envFromSecret])),
        extraFiles,
        // hub.extraConfig: object, additionalProperties: true; the chart exec()s each value as Python.
        extraConfig: z.record(z.string()),
        db: z.object({
            pvc: z.object({ storage: z.string(), storageClassName: z.string().nullable() }).strict(),
        }).strict(),
    }).strict(),
    proxy: z.object({
        service: z.object({ type: z.enum(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]) }).strict(),
        https: z.object({
            enabled: z.boolean().nullable(),
            type: z.enum(["", "letsencrypt", "manual", "offload", "secret"]).nullable(),
            hosts: z.array(z.string()),
            letsencrypt: z.object({ contactEmail: z.string().nullable(), acmeServer: z.string().nullable() }).strict(),
        }).strict(),
    }).strict(),
    singleuser: z.object({
        image: z.object({ name: z.string(), tag: z.string() }).strict(),
        defaultUrl: z.string().nullable(),
        startTimeout: z.number().int().nullable(),
        memory: z.object({ limit: byteSize.nullable(), guarantee: byteSize.nullable() }).strict(),
        cpu: z.object({ limit: z.number().nullable(), guarantee: z.number().nullable() }).strict(),
        storage: z.object({
            type: z.enum(["dynamic", "static", "none"]),
            capacity: z.string().nullable(),
            homeMountPath: z.string(),
            dynamic: z.object({ storageClass: z.string().nullable(), volumeNameTemplate: z.string().nullable() }).strict(),
        }).strict(),
        extraFiles: extraFiles.optional(),
        initContainers: z.array(initContainer).optional(),
    }).strict(),
    cull: z.object({ enabled: z.boolean(), timeout: z.number().int().nullable() }).strict(),
    scheduling: z.object({
        userScheduler: z.object({ enabled: z.boolean() }).strict(),
        podPriority: z.object({ enabled: z.boolean() }).strict(),
        userPlaceholder: z.object({ enabled: z.boolean(), replicas: z.number().int() }).strict(),
        corePods: z.object({ nodeAffinity: z.object({ matchNodePurpose: z.enum(["ignore", "prefer", "require"]) }).strict() }).strict(),
        userPods: z.object({ nodeAffinity: z.object({ matchNodePurpose: z.enum(["ignore", "prefer", "require"]) }).strict() }).strict(),
    }).strict(),
}).strict();

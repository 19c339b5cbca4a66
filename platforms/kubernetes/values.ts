import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ClassConfig } from "../../lib/config/classConfig";
import { classSettings } from "../../lib/bundle";

/** The Zero to JupyterHub chart, pinned: its official repository and the version its values are written for. */
export const CHART = { name: "jupyterhub", version: "4.4.0", repository: "https://hub.jupyter.org/helm-chart/" } as const;

/** The stack's own Kubernetes Secret and its keys (see ClassRelease). */
export const HUB_SECRET = {
    name: "classroom-hub",
    /** The chart reads its hub.config secrets from hub.existingSecret under these file names first. */
    cookieSecretKey: "hub.config.JupyterHub.cookie_secret",
    oauthClientSecretKey: "oauth-client-secret",
} as const;

/** DigitalOcean's block storage class that keeps a volume when its claim is deleted. */
export const RETAINED_STORAGE_CLASS = "do-block-storage-retain";

const CLOUD_INIT = join(__dirname, "..", "..", "cloud-init");
/** Where the hub pod finds the shared Python package, the login template and class.json. */
const HUB_CLASSROOM = "/usr/local/etc/jupyterhub/classroom";
/** Where the student's pod finds student_copy.py (from singleuser.extraFiles). */
const STUDENT_COPY_PATH = "/opt/jupyterhub-classroom/student_copy.py";
/** The docker-stacks images' user and home; the chart's defaults are the same uid 1000 and fsGid 100 (values.yaml, 4.4.0). */
export const STUDENT_HOME = "/home/jovyan";
export const STUDENT_UID = 1000;
export const STUDENT_GID = 100;
/** The students' volume's name inside their pod, so the course-copy init container can mount it. */
const HOME_VOLUME = "home";

/**
 * The shared hub package travels as hub.extraFiles, one file each (the chart mounts each by
 * subPath), laid out as on the Droplet: python/classroom_hub/*.py beside templates/ and schema/,
 * so classroom_hub.TEMPLATES finds the same login and home pages and classroom_hub.SCHEMAS the same contract.
 */
function hubPackageFiles(): Record<string, { mountPath: string; stringData: string }> {
    const files: Record<string, { mountPath: string; stringData: string }> = {};
    const pkg = join(CLOUD_INIT, "python", "classroom_hub");
    for (const file of readdirSync(pkg).filter((f) => f.endsWith(".py")).sort()) {
        files[`classroom_hub.${file}`] = {
            mountPath: `${HUB_CLASSROOM}/python/classroom_hub/${file}`,
            stringData: readFileSync(join(pkg, file), "utf8"),
        };
    }
    for (const template of readdirSync(join(CLOUD_INIT, "templates")).filter((f) => f.endsWith(".html")).sort()) {
        files[`templates.${template}`] = {
            mountPath: `${HUB_CLASSROOM}/templates/${template}`,
            stringData: readFileSync(join(CLOUD_INIT, "templates", template), "utf8"),
        };
    }
    // The settings contract: classroom_hub checks class.json, and takes its user-name rule, from these.
    for (const schema of readdirSync(join(CLOUD_INIT, "schema")).filter((f) => f.endsWith(".schema.json")).sort()) {
        files[`schema.${schema.replace(/\.schema\.json$/, "")}`] = {
            mountPath: `${HUB_CLASSROOM}/schema/${schema}`,
            stringData: readFileSync(join(CLOUD_INIT, "schema", schema), "utf8"),
        };
    }
    return files;
}

/**
 * The course copy, before the student's server starts: cloud-init/python/classroom_hub/
 * student_copy.py, the Droplet's own, run as the student in their home with the same
 * never-overwrite rules. Its arguments are the argv of `sh -c`, never spliced into the script; a
 * failure is logged and the server still starts, as on the Droplet.
 */
function courseCopyContainer(cfg: ClassConfig, image: string) {
    const course = cfg.course!;
    return {
        name: "course-copy",
        image,
        command: ["sh", "-c", 'python3 -I "$0" "$@" || echo "course copy not updated; the server starts anyway" >&2',
            STUDENT_COPY_PATH, course.repositoryUrl, course.branch, course.directory],
        workingDir: STUDENT_HOME,
        env: [
            { name: "HOME", value: STUDENT_HOME },
            { name: "GIT_CONFIG_NOSYSTEM", value: "1" },
            { name: "GIT_TERMINAL_PROMPT", value: "0" },
        ],
        securityContext: { runAsUser: STUDENT_UID, allowPrivilegeEscalation: false },
        volumeMounts: [
            { name: HOME_VOLUME, mountPath: STUDENT_HOME },
            // "files" is the volume the chart makes of singleuser.extraFiles.
            { name: "files", mountPath: STUDENT_COPY_PATH, subPath: "student-copy" },
        ],
    };
}

/** The image reference split the way the chart joins it back: `${name}:${tag}`. */
function imageOf(reference: string): { name: string; tag: string } {
    // repository@sha256:<hex> → name "repository@sha256", tag "<hex>": joined, the digest reference.
    const at = reference.lastIndexOf(":");
    return { name: reference.slice(0, at), tag: reference.slice(at + 1) };
}

/**
 * The chart's values for a kubernetes class: one pure function of the ClassConfig. No secret is
 * in them: the cookie secret and the OAuth client secret are in the stack's own Secret
 * (HUB_SECRET), which the hub mounts (hub.existingSecret) and reads from its environment.
 */
export function chartValues(cfg: ClassConfig) {
    const k8s = cfg.kubernetes!;
    const image = imageOf(k8s.singleuserImage);
    return {
        hub: {
            // 0 asks the Droplet's hub to derive its admission limit from its vCPUs; KubeSpawner has no
            // admission queue, so the chart keeps its own bounded limit rather than JupyterHub's 0 (none).
            concurrentSpawnLimit: cfg.limits.concurrentSpawnLimit || null,
            existingSecret: HUB_SECRET.name,
            extraEnv: {
                CLASSROOM_SETTINGS: `${HUB_CLASSROOM}/class.json`,
                PYTHONPATH: `${HUB_CLASSROOM}/python`,
                OAUTH_CLIENT_SECRET: { valueFrom: { secretKeyRef: { name: HUB_SECRET.name, key: HUB_SECRET.oauthClientSecretKey } } },
            },
            extraFiles: {
                "class.json": { mountPath: `${HUB_CLASSROOM}/class.json`, stringData: `${JSON.stringify(classSettings(cfg), null, 2)}\n` },
                ...hubPackageFiles(),
            },
            extraConfig: {
                classroom: readFileSync(join(__dirname, "hub", "classroom_config.py"), "utf8"),
            },
            db: { pvc: { storage: "1Gi", storageClassName: RETAINED_STORAGE_CLASS } },
        },
        proxy: {
            service: { type: "LoadBalancer" as const },
            https: {
                enabled: true,
                type: "letsencrypt" as const,
                hosts: [cfg.hostname],
                letsencrypt: { contactEmail: cfg.tls.email, acmeServer: cfg.tls.acmeDirectoryUrl },
            },
        },
        singleuser: {
            image,
            defaultUrl: "/lab",
            // A new node and a first pull of a large image take minutes; placeholders usually spare both.
            startTimeout: 600,
            memory: { limit: cfg.limits.memory, guarantee: k8s.memoryGuarantee },
            cpu: { limit: cfg.limits.cpu, guarantee: k8s.cpuGuarantee },
            storage: {
                type: "dynamic" as const,
                capacity: `${k8s.studentStorageGb}Gi`,
                homeMountPath: STUDENT_HOME,
                dynamic: { storageClass: RETAINED_STORAGE_CLASS, volumeNameTemplate: HOME_VOLUME },
            },
            ...(cfg.course ? {
                extraFiles: {
                    "student-copy": {
                        mountPath: STUDENT_COPY_PATH,
                        stringData: readFileSync(join(CLOUD_INIT, "python", "classroom_hub", "student_copy.py"), "utf8"),
                    },
                },
                initContainers: [courseCopyContainer(cfg, `${image.name}:${image.tag}`)],
            } : {}),
        },
        cull: { enabled: cfg.limits.idleTimeoutSeconds > 0, timeout: cfg.limits.idleTimeoutSeconds || null },
        scheduling: {
            userScheduler: { enabled: true },
            podPriority: { enabled: true },
            // With a class schedule the StatefulSet exists even at 0 replicas: PlaceholderSchedule scales it.
            userPlaceholder: { enabled: k8s.userPlaceholders > 0 || cfg.classSchedule.meetings.length > 0, replicas: k8s.userPlaceholders },
            // The node pools carry hub.jupyter.org/node-purpose: core or user (ClassCluster).
            corePods: { nodeAffinity: { matchNodePurpose: "require" as const } },
            userPods: { nodeAffinity: { matchNodePurpose: "require" as const } },
        },
    };
}

export type ChartValues = ReturnType<typeof chartValues>;

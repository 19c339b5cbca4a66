import type { ConfigKeyName } from "../../lib/config/keys";
import type { Raw } from "../../lib/config/classConfig";

/** The cluster a kubernetes class runs on, every computed default resolved. */
export interface KubernetesClass {
    /** DigitalOcean Kubernetes version slug, pinned by config. */
    readonly version: string;
    /** The autoscaling pool students' servers run on. */
    readonly userPool: { readonly size: string; readonly minNodes: number; readonly maxNodes: number; readonly studentsPerNode: number };
    /** Memory reserved for each student's server, as KubeSpawner reads it (such as 1024M). */
    readonly memoryGuarantee: string;
    readonly cpuGuarantee: number;
    /** The students' image, pinned by digest. */
    readonly singleuserImage: string;
    /** Placeholders between meetings (or always, with no classSchedule). */
    readonly userPlaceholders: number;
    /** Placeholders during each meeting's warm window: as many students as kubernetesMaxNodes hold. */
    readonly warmPlaceholders: number;
    /** The kubectl image the scheduled scale-up and scale-down run, pinned by digest. */
    readonly placeholderScalerImage: string;
    readonly studentStorageGb: number;
}

/**
 * The hub and the proxy live on their own small pool, so students' servers filling the user
 * nodes never starve them: 2 vCPUs and 4 GB hold the hub, the proxy and the chart's schedulers.
 */
export const CORE_POOL = { size: "s-2vcpu-4gb", nodes: 1 } as const;

/** A Jupyter docker-stacks image (quay.io/jupyter/scipy-notebook), pinned by digest. */
export const DEFAULT_SINGLEUSER_IMAGE = "quay.io/jupyter/scipy-notebook@sha256:e6e8baae46b5e62bbc26910169082639a6fd96f90e9f6fc52e0c0389df92d35c";

/**
 * The official kubectl image (registry.k8s.io/kubectl, v1.34.1 like the example kubernetesVersion),
 * by the digest public projects pin it at; not pulled here (docs/kubernetes.md, "User placeholders").
 */
export const DEFAULT_PLACEHOLDER_SCALER_IMAGE = "registry.k8s.io/kubectl:v1.34.1@sha256:59bafa07ff3a6d4b417e7633ddb9d79a9606ca98bf64bac080b3e65748669250";

/** CronJob's timeZone field is stable from Kubernetes 1.27 on: the schedule's times stay local across DST. */
const CRONJOB_TIME_ZONE_MINOR = 27;

/**
 * The share of a node's memory and CPUs students' servers can count on. DigitalOcean keeps part
 * of each node for the kubelet and its own system pods, and the chart runs a few pods there too;
 * a quarter is a safe estimate for the 4–32 GB sizes, never a measured figure.
 */
const USABLE_SHARE = 0.75;

const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** "2G" → bytes, as KubeSpawner (and the Droplet's systemd) read memory sizes: powers of 1024. */
export function bytesOf(size: string): number {
    return Math.round(Number(size.slice(0, -1)) * UNITS[size.slice(-1)]);
}

/** A node size slug's memory and CPUs, such as s-4vcpu-8gb → 8 GiB and 4 CPUs. */
export function nodeResources(slug: string): { memoryBytes: number; cpus: number } {
    const [, cpus, gb] = /-([0-9]+)vcpu-([0-9]+)gb/.exec(slug)!;
    return { memoryBytes: Number(gb) * UNITS.G, cpus: Number(cpus) };
}

const guarantees = (c: Raw) => ({
    memoryBytes: c.memoryGuarantee ? bytesOf(c.memoryGuarantee) : Math.floor(bytesOf(c.memoryLimit) / 2),
    cpu: c.cpuGuarantee ?? c.cpuLimit / 4,
});

function studentsPerNode(c: Raw): number {
    const node = nodeResources(c.kubernetesNodeSize);
    const reserved = guarantees(c);
    return Math.floor(Math.min(node.memoryBytes * USABLE_SHARE / reserved.memoryBytes, node.cpus * USABLE_SHARE / reserved.cpu));
}

/** Everyone who may start a server: the students and the staff. */
const rosterSize = (c: Raw) => new Set([...c.allowedUsers, ...c.adminUsers, ...c.teachingAssistants].map((n) => n.toLowerCase())).size;

/** The rules between keys for platform kubernetes; each names the key to change. */
export function kubernetesRules(c: Partial<Raw>, add: (key: ConfigKeyName, expected: string, fix?: string) => void): void {
    if (c.platform !== "kubernetes") return;
    if ("kubernetesVersion" in c && !c.kubernetesVersion) {
        add("kubernetesVersion", "is required when platform is kubernetes (`doctl kubernetes options versions` lists them)");
    }
    if (c.coursePackages?.length) {
        add("coursePackages", "expected none when platform is kubernetes: the course's packages come with singleuserImage (an image built with them); `pulumi config rm coursePackages`");
    }
    if (c.courseRepoToken) {
        add("courseRepoToken", "expected none when platform is kubernetes: the cluster copies public course repositories only; `pulumi config rm courseRepoToken`");
    }
    if (c.perStudentOrigins) {
        add("perStudentOrigins", "expected false when platform is kubernetes: only the Droplet serves students' own origins so far", "pulumi config rm perStudentOrigins");
    }
    for (const key of ["sharedData", "diskQuotaGb"] as const) {
        if (c[key] !== undefined) {
            add(key, "expected none when platform is kubernetes: only the Droplet has it so far (each student there has a volume of their own, studentStorageGb)", `pulumi config rm ${key}`);
        }
    }
    if (c.paused) {
        add("paused", "expected false when platform is kubernetes: only the Droplet can be paused so far", "pulumi config rm paused");
    }
    const minor = Number(/^1\.([0-9]+)\./.exec(c.kubernetesVersion ?? "")?.[1]);
    if (c.classSchedule?.length && minor < CRONJOB_TIME_ZONE_MINOR) {
        add("kubernetesVersion", `expected 1.${CRONJOB_TIME_ZONE_MINOR} or newer with classSchedule: the placeholders' scheduled scale-up needs CronJob timeZone`);
    }
    if (c.courseRepoUrl && /[{}]/.test(c.courseRepoUrl)) {
        add("courseRepoUrl", "expected no { or } when platform is kubernetes: KubeSpawner reads them in the course-copy command as {username}-style templates");
    }
    const all = c as Raw;
    if (!c.memoryLimit || !c.cpuLimit || !c.kubernetesNodeSize || !c.allowedUsers || !c.adminUsers || !c.teachingAssistants) return;
    if ("memoryGuarantee" in c && c.memoryGuarantee && bytesOf(c.memoryGuarantee) > bytesOf(c.memoryLimit)) {
        add("memoryGuarantee", `expected at most memoryLimit (${c.memoryLimit})`);
        return;
    }
    if ("cpuGuarantee" in c && c.cpuGuarantee !== undefined && c.cpuGuarantee > c.cpuLimit) {
        add("cpuGuarantee", `expected at most cpuLimit (${c.cpuLimit})`);
        return;
    }
    const node = nodeResources(c.kubernetesNodeSize);
    if (bytesOf(c.memoryLimit) > node.memoryBytes * USABLE_SHARE || c.cpuLimit > node.cpus) {
        add("kubernetesNodeSize", `expected a node size larger than ${c.kubernetesNodeSize}, with room for one student's memoryLimit ${c.memoryLimit} and cpuLimit ${c.cpuLimit} (a quarter of a node's memory is kept for the system), such as s-8vcpu-16gb`);
        return;
    }
    if (c.kubernetesMinNodes !== undefined && c.kubernetesMaxNodes !== undefined && c.kubernetesMinNodes > c.kubernetesMaxNodes) {
        add("kubernetesMinNodes", `expected at most kubernetesMaxNodes (${c.kubernetesMaxNodes})`);
    }
    if (c.kubernetesMinNodes === undefined && c.kubernetesMaxNodes !== undefined && "userPlaceholders" in c) {
        const needed = defaultMinNodes(all);
        if (needed > c.kubernetesMaxNodes) {
            add("kubernetesMaxNodes", `expected at least ${needed} nodes to hold the user placeholders, or fewer userPlaceholders`);
        }
    }
}

/** With a class schedule the placeholders wait for each meeting's warm window (PlaceholderSchedule), so none are kept all week. */
const placeholdersOf = (c: Raw) => c.userPlaceholders ?? (c.classSchedule?.length ? 0 : Math.ceil(rosterSize(c) / 10));
const defaultMinNodes = (c: Raw) => Math.max(1, Math.ceil(placeholdersOf(c) / studentsPerNode(c)));

/** The cluster's settings with the computed defaults filled in (docs/kubernetes.md, "Sizing"). */
export function toKubernetesClass(c: Raw): KubernetesClass {
    const perNode = studentsPerNode(c);
    const placeholders = placeholdersOf(c);
    // kubernetesRules refused a kubernetesMaxNodes below this default.
    const minNodes = c.kubernetesMinNodes ?? defaultMinNodes(c);
    const maxNodes = c.kubernetesMaxNodes ?? Math.max(minNodes, Math.ceil(Math.max(rosterSize(c), placeholders) / perNode));
    const reserved = guarantees(c);
    return {
        version: c.kubernetesVersion!,
        userPool: { size: c.kubernetesNodeSize, minNodes, maxNodes, studentsPerNode: perNode },
        memoryGuarantee: `${Math.floor(reserved.memoryBytes / UNITS.M)}M`,
        cpuGuarantee: reserved.cpu,
        singleuserImage: c.singleuserImage ?? DEFAULT_SINGLEUSER_IMAGE,
        userPlaceholders: placeholders,
        warmPlaceholders: Math.max(placeholders, maxNodes * perNode),
        placeholderScalerImage: c.placeholderScalerImage ?? DEFAULT_PLACEHOLDER_SCALER_IMAGE,
        studentStorageGb: c.studentStorageGb,
    };
}

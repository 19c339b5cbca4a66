import type * as kubernetes from "@pulumi/kubernetes";
import { ClassConfig } from "../../lib/config/classConfig";
import { NAMESPACE } from "./components/classRelease";
import { RETAINED_STORAGE_CLASS, STUDENT_GID, STUDENT_HOME, STUDENT_UID } from "./values";

/** One student of a Droplet archive, as platforms/kubernetes/split_archive.py lists them. */
export interface ArchivedStudent {
    readonly hubName: string;
    /** Their claim's name, as KubeSpawner names it (claim-{user_server}). */
    readonly claim: string;
    /** Their home's entries, relative to the home, owned by 1000:100. */
    readonly tar: string;
}

type PersistentVolumeClaim = kubernetes.types.input.core.v1.PersistentVolumeClaim;
type Pod = kubernetes.types.input.core.v1.Pod;

/**
 * What restoring one student's home takes: their claim, made as KubeSpawner makes it (same name,
 * storage class and size) when they have not logged in yet, and a pod that extracts their tar,
 * read from its stdin, into it as the student's own uid and group, as their server runs. GNU
 * tar's --skip-old-files leaves every file already there as it is: a file the student has since
 * changed, or the course copy wrote, stays theirs.
 */
export function restoreObjects(cfg: ClassConfig, student: ArchivedStudent) {
    const k8s = cfg.kubernetes!;
    const name = `restore-${student.claim}`.slice(0, 63).replace(/-+$/, "");
    // Typed by @pulumi/kubernetes's API types (`satisfies`): a misspelled or mistyped field fails tsc.
    return {
        claim: {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: {
                name: student.claim,
                namespace: NAMESPACE,
                labels: { app: "jupyterhub", component: "singleuser-storage" },
                annotations: { "hub.jupyter.org/username": student.hubName },
            },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: RETAINED_STORAGE_CLASS,
                resources: { requests: { storage: `${k8s.studentStorageGb}Gi` } },
            },
        } satisfies PersistentVolumeClaim,
        pod: {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name, namespace: NAMESPACE, labels: { app: "jupyterhub", component: "restore-home" } },
            spec: {
                restartPolicy: "Never",
                // It only writes files: no token for the API.
                automountServiceAccountToken: false,
                // The user pool: the class's image is already there, and so are the students' volumes' nodes.
                nodeSelector: { "hub.jupyter.org/node-purpose": "user" },
                securityContext: { runAsUser: STUDENT_UID, runAsGroup: STUDENT_GID, fsGroup: STUDENT_GID, runAsNonRoot: true },
                volumes: [{ name: "home", persistentVolumeClaim: { claimName: student.claim } }],
                containers: [{
                    name,
                    // The students' image: GNU tar, and already pulled on the user nodes.
                    image: k8s.singleuserImage,
                    command: ["tar", "--extract", "--file=-", `--directory=${STUDENT_HOME}`, "--skip-old-files"],
                    // Closed after the first attach ends, so tar sees the end of its input.
                    stdin: true,
                    stdinOnce: true,
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    volumeMounts: [{ name: "home", mountPath: STUDENT_HOME }],
                }],
            },
        } satisfies Pod,
    };
}

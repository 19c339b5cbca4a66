import assert from "node:assert/strict";
import { test } from "node:test";
import { parseClassConfig } from "../lib/config/classConfig";
import { rawClassConfig } from "../lib/config/stack";
import { restoreObjects } from "../platforms/kubernetes/restore";
import { chartValues } from "../platforms/kubernetes/values";
import { namespaced } from "./support/pulumiMocks";

const cfg = parseClassConfig(rawClassConfig(namespaced({
    platform: "kubernetes", kubernetesVersion: "1.34.1-do.0", dnsZone: "example.edu", subdomain: "engr101",
    letsEncryptEmail: "prof@example.edu", authProvider: "github", oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: "planted-oauth-client-secret-91c2", allowedUsers: '["ada","grace.h"]', studentStorageGb: "7",
})));
const grace = { hubName: "grace.h", claim: "claim-grace-h---5d3b0a1c", tar: "/tmp/x/claim-grace-h---5d3b0a1c.tar" };

test("a restored student's claim is the one their server mounts: KubeSpawner's name, the chart's storage class and size", () => {
    const { claim } = restoreObjects(cfg, grace);
    const storage = chartValues(cfg).singleuser.storage;
    assert.equal(claim.metadata.name, grace.claim);
    assert.equal(claim.metadata.namespace, "jupyterhub-classroom");
    assert.deepEqual(claim.spec, {
        accessModes: ["ReadWriteOnce"], storageClassName: storage.dynamic.storageClass, resources: { requests: { storage: storage.capacity } },
    });
    // The label the archive command of docs/kubernetes.md selects claims by.
    assert.equal(claim.metadata.labels.component, "singleuser-storage");
    assert.equal(claim.metadata.annotations["hub.jupyter.org/username"], "grace.h");
});

test("the restore pod extracts stdin into that claim only, as the student's uid and group, with the class's image", () => {
    const { pod } = restoreObjects(cfg, grace);
    const spec = pod.spec;
    assert.deepEqual(spec.volumes, [{ name: "home", persistentVolumeClaim: { claimName: grace.claim } }]);
    assert.deepEqual(spec.securityContext, { runAsUser: 1000, runAsGroup: 100, fsGroup: 100, runAsNonRoot: true });
    assert.equal(spec.restartPolicy, "Never");
    assert.equal(spec.automountServiceAccountToken, false, "it needs no API token");
    const [container] = spec.containers;
    assert.equal(container.image, cfg.kubernetes!.singleuserImage);
    assert.deepEqual(container.command, ["tar", "--extract", "--file=-", "--directory=/home/jovyan", "--skip-old-files"]);
    assert.deepEqual([container.stdin, container.stdinOnce], [true, true]);
    assert.deepEqual(container.volumeMounts, [{ name: "home", mountPath: "/home/jovyan" }]);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    // A Kubernetes name: 63 characters at most, ending in a letter or digit.
    const long = restoreObjects(cfg, { ...grace, claim: `claim-${"x".repeat(17)}--x---e13c8ee2`.padEnd(70, "-") }).pod.metadata.name;
    assert.ok(long.length <= 63 && /[a-z0-9]$/.test(long), long);
});

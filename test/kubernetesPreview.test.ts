import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { namespaced, registeredUrns } from "./support/pulumiMocks";

/**
 * `pulumi preview` of a new kubernetes class: the program runs as a dry run, where nothing exists
 * yet (the cluster's kubeconfig and the load balancer's address are unknown), and still
 * registers the cluster, both pools, the release and the record, so the preview lists them.
 */
test("a preview of a new kubernetes class shows the cluster, the pools, the release and the record", async () => {
    const config = {
        platform: "kubernetes", kubernetesVersion: "1.34.1-do.0", dnsZone: "example.edu", subdomain: "engr101",
        letsEncryptEmail: "prof@example.edu", authProvider: "github", oauthClientId: "Iv1.0123456789abcdef",
        oauthClientSecret: "planted-oauth-client-secret-91c2", allowedUsers: '["ada"]',
    };
    pulumi.runtime.setAllConfig(namespaced(config), ["jupyterhub-classroom:oauthClientSecret"]);
    pulumi.runtime.setMocks({
        // A dry run: the engine knows no id or output of a resource that does not exist yet.
        newResource: (args) => ({ id: args.id ?? undefined, state: {} }),
        call: (args) => {
            if (args.token === "cloudflare:index/getZone:getZone") return { id: "zone-0123456789" };
            throw new Error(`unexpected invoke ${args.token}`);
        },
    }, "jupyterhub-classroom", "engr101", true);
    require("../index");
    const shown = (await registeredUrns()).map((urn) => `${urn.split("::")[2].split("$").at(-1)}::${urn.split("::")[3]}`);
    for (const expected of [
        "digitalocean:index/kubernetesCluster:KubernetesCluster::class-cluster",
        "digitalocean:index/kubernetesNodePool:KubernetesNodePool::class-users",
        "kubernetes:helm.sh/v3:Release::class-release",
        "cloudflare:index/dnsRecord:DnsRecord::class-a",
    ]) assert.ok(shown.includes(expected), `${expected} in ${shown.join(", ")}`);
});

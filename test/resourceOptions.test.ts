import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { HubSettings } from "../components/hubSettings";
import { classSettings } from "../lib/bundle";
import { dropletIdentity, dropletTags, HubServer } from "../components/hubServer";
import { parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { sshConnection } from "../lib/sshConnection";
import { installMocks, openSshPublicKey, registeredUrns, valueOf } from "./support/pulumiMocks";

installMocks({});

/** Every resource's options, as its component hands them to Pulumi. */
function recordOptions() {
    const seen = new Map<string, pulumi.CustomResourceOptions>();
    const transformations: pulumi.ResourceTransformation[] = [(args) => {
        seen.set(args.name, args.opts as pulumi.CustomResourceOptions);
        return undefined;
    }];
    return { seen, transformations };
}

const classWith = (extra: Record<string, unknown>) => parseClassConfig({
    dnsZone: "example.edu", subdomain: "engr101", letsEncryptEmail: "prof@example.edu", authProvider: "github",
    oauthClientId: "Iv1.abc", oauthClientSecret: SECRET_IS_SET, allowedUsers: ["ada"], ...extra,
});

test("the students' volume is retained on destroy while protectVolume is on, never `protect`ed", async () => {
    const kept = recordOptions();
    new HubServer("kept", { config: classWith({}) }, { transformations: kept.transformations });
    const archived = recordOptions();
    new HubServer("archived", { config: classWith({ protectVolume: false }) }, { transformations: archived.transformations });
    await registeredUrns();
    assert.equal(kept.seen.get("kept-homes")!.retainOnDelete, true);
    assert.equal(archived.seen.get("archived-homes")!.retainOnDelete, false);
    assert.equal(kept.seen.get("kept-homes")!.protect, undefined);
    // The volume moves to the new Droplet, so the old one must be gone first.
    assert.equal(kept.seen.get("kept-droplet")!.deleteBeforeReplace, true);
});

test("the Droplet ignores later user-data and is replaced for a new admin user or hostname", async () => {
    installMocks({});
    const { seen, transformations } = recordOptions();
    new HubServer("hub", { config: classWith({ adminUser: "prof" }) }, { transformations });
    await registeredUrns();
    const droplet = seen.get("hub-droplet")!;
    assert.deepEqual(droplet.ignoreChanges, ["userData"]);
    assert.deepEqual(droplet.replacementTrigger, { adminUser: "prof", hostname: "engr101.example.edu" });
    assert.deepEqual(dropletIdentity(classWith({ adminUser: "prof", subdomain: "engr102" })), { adminUser: "prof", hostname: "engr102.example.edu" });
});

test("HubSettings applies only after cloud-init and the steps it is given, within time limits", async () => {
    installMocks({});
    const connection = sshConnection("203.0.113.10", "instructor", pulumi.secret("key"), openSshPublicKey("host"));
    const sync = new pulumi.ComponentResource("test:index:Sync", "sync");
    const alone = recordOptions();
    const settings = classSettings(classWith({}));
    const secrets = { oauthClientSecret: pulumi.secret("s"), cookieSecret: pulumi.secret("ab".repeat(32)), traefikApiPassword: pulumi.secret("p".repeat(32)) };
    new HubSettings("alone", { connection, settings, secrets, serverId: "1" }, { transformations: alone.transformations });
    const { seen, transformations } = recordOptions();
    new HubSettings("cfg", { connection, settings, secrets, serverId: "1", after: [sync] }, { transformations });
    await registeredUrns();
    const wait = seen.get("cfg-wait-for-cloud-init")!;
    const apply = seen.get("cfg-apply")!;
    assert.deepEqual(wait.customTimeouts, { create: "20m" });
    const names = async (opts: pulumi.CustomResourceOptions) =>
        (await Promise.all((opts.dependsOn as pulumi.Resource[]).map((r) => valueOf(r.urn)))).map((urn) => urn.split("::").at(-1));
    assert.deepEqual(await names(apply), ["cfg-wait-for-cloud-init", "sync"]);
    assert.deepEqual(await names(alone.seen.get("alone-apply")!), ["alone-wait-for-cloud-init"]);
    assert.deepEqual(apply.customTimeouts, { create: "10m", update: "10m" });
});

test("DigitalOcean tags: the project, and the stack made tag-safe", () => {
    assert.deepEqual(dropletTags("engr101"), ["jupyterhub-classroom", "engr101"]);
    assert.deepEqual(dropletTags("engr101.spring-2026"), ["jupyterhub-classroom", "engr101-spring-2026"]);
});

// The quarter's operations as the program hands them to the Pulumi engine: what runs after what,
// what runs before what is deleted, what is kept, and what a lock-file change replaces (nothing).
// Dependencies are read from the requests the engine receives, which decide its order: a
// resource is created after everything it depends on, and deleted before it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { HubArchive, archiveCommand } from "../components/hubArchive";
import { HEALTH_CHECK, healthCheckCommand, HubHealth } from "../components/hubHealth";
import { SYNC_COMMAND, HubSync } from "../components/hubSync";
import { WAIT_FOR_CLOUD_INIT } from "../components/hubConfig";
import { parseClassConfig, SECRET_IS_SET } from "../lib/classConfig";
import { sshConnection } from "../lib/sshConnection";
import { installMocks, isSecretInput, namespaced, registeredUrns, unwrap } from "./support/pulumiMocks";

/** What the engine is asked for one resource. */
interface EngineRequest {
    readonly type: string;
    readonly dependencies: readonly string[];
    readonly ignoreChanges: readonly string[];
    readonly retainOnDelete?: boolean;
    readonly protect?: boolean;
    readonly timeouts: { create: string; update: string; delete: string };
}

/** Records every RegisterResource request of the mocks just installed, by resource name. */
function recordRequests(): Map<string, EngineRequest> {
    const requests = new Map<string, EngineRequest>();
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        requests.set(req.getName(), {
            type: req.getType(),
            dependencies: req.getDependenciesList().map((urn: string) => urn.split("::").at(-1)),
            ignoreChanges: req.getIgnorechangesList(),
            retainOnDelete: req.getRetainondelete(),
            protect: req.getProtect(),
            timeouts: (({ create, update, pb_delete }) => ({ create, update, delete: pb_delete }))(req.getCustomtimeouts().toObject()),
        });
        return register(req, callback);
    };
    return requests;
}

const engr101: Record<string, string> = {
    dnsZone: "example.edu",
    subdomain: "engr101",
    letsEncryptEmail: "prof@example.edu",
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: "planted-oauth-client-secret-91c2",
    allowedUsers: '["ada-lovelace"]',
};

/** Runs index.ts under fresh mocks, recording what it asks the engine for. */
async function runProgram(extra: Record<string, string> = {}) {
    const mocks = installMocks(namespaced({ ...engr101, ...extra }), ["jupyterhub-classroom:oauthClientSecret"]);
    const requests = recordRequests();
    const programPath = require.resolve("../index");
    delete require.cache[programPath];
    require(programPath);
    await registeredUrns();
    const request = (name: string) => {
        const found = requests.get(name);
        assert.ok(found, `no resource named ${name}; registered: ${[...requests.keys()].join(", ")}`);
        return found;
    };
    return { ...mocks, request };
}

test("the health check runs after the server files are synced and the class settings applied, and after each change", async () => {
    const run = await runProgram();
    assert.deepEqual(run.request("hub-check").dependencies.filter((d) => d === "hub-apply" || d === "hub-sync").sort(),
        ["hub-apply", "hub-sync"]);
    const check = run.named("hub-check", "command:remote:Command").inputs;
    assert.equal(check.create, `sudo -n ${HEALTH_CHECK} --timeout 600`);
    const userData = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs.userData;
    const triggers = unwrap(check.triggers).map(unwrap);
    assert.ok(triggers.includes(createHash("sha256").update(userData).digest("hex")), "re-checks when the user-data changes");
    const applied = unwrap(run.named("hub-apply", "command:remote:Command").inputs.triggers).map(unwrap);
    assert.ok(triggers.includes(applied[0]), "re-checks when the apply bundle changes");
    // The class settings are applied only onto synced server files.
    assert.ok(run.request("hub-apply").dependencies.includes("hub-sync"));
});

test("staging certificates are accepted only with the staging switch, and the timeout is the config's", async () => {
    const run = await runProgram({ letsEncryptStaging: "true", healthCheckTimeoutMinutes: "25" });
    assert.equal(run.named("hub-check", "command:remote:Command").inputs.create,
        `sudo -n ${HEALTH_CHECK} --timeout 1500 --staging`);
});

test("the archive runs before the Droplet is deleted, on destroy and on replacement", async () => {
    const run = await runProgram();
    const archive = run.named("hub-before-delete", "command:local:Command").inputs;
    assert.ok(run.request("hub-before-delete").dependencies.includes("hub-droplet"));
    assert.equal(archive.delete, archiveCommand(run.world.ipv4, "instructor", "engr101"));
    assert.deepEqual(archive.triggers, ["412345678"], "a new Droplet replaces it, so the old Droplet is archived first");
    assert.ok(isSecretInput(archive.environment.CLASSROOM_SSH_PRIVATE_KEY ?? archive.environment));
    assert.equal(archive.create, undefined);

    const off = await runProgram({ archiveOnDestroy: "false" });
    assert.equal(off.named("hub-before-delete", "command:local:Command").inputs.delete, undefined);
});

test("the students' volume outlives the stack unless protectVolume is off", async () => {
    assert.equal((await runProgram()).request("hub-homes").retainOnDelete, true);
    assert.equal((await runProgram({ protectVolume: "false" })).request("hub-homes").retainOnDelete, false);
});

/** The files of an uncompressed tar archive, by name. */
function untar(archive: Buffer): Map<string, string> {
    const files = new Map<string, string>();
    for (let offset = 0; offset + 512 <= archive.length && archive[offset] !== 0;) {
        const field = (start: number, length: number) => archive.subarray(offset + start, offset + start + length).toString().replace(/\0.*$/s, "");
        const size = parseInt(field(124, 12), 8);
        files.set(field(0, 100), archive.subarray(offset + 512, offset + 512 + size).toString());
        offset += 512 + Math.ceil(size / 512) * 512;
    }
    return files;
}

test("a new lock file reaches the server by an in-place sync; the Droplet ignores its user-data", async () => {
    const run = await runProgram();
    assert.deepEqual(run.request("hub-droplet").ignoreChanges, ["userData"]);
    const userData = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs.userData;
    // The locks travel in the user-data, so a bumped pin changes it…
    const library = parse(userData).write_files.find((f: { path: string }) => f.path.endsWith("/library.tar"));
    const files = untar(gunzipSync(Buffer.from(library.content, "base64")));
    for (const lock of ["hub", "user"]) {
        assert.equal(files.get(`requirements/${lock}.txt`), readFileSync(join(__dirname, "..", "cloud-init", "requirements", `${lock}.txt`), "utf8"));
    }
    // …which changes the sync's trigger: an update of the sync step, which delivers the new user-data.
    const sync = run.named("hub-sync", "command:remote:Command").inputs;
    assert.equal(sync.stdin, userData);
    assert.deepEqual(sync.triggers, [createHash("sha256").update(userData).digest("hex"), "412345678"]);
    assert.equal(sync.update, sync.create);
});

const classConfig = (extra: Record<string, unknown>) => parseClassConfig({
    dnsZone: "example.edu", subdomain: "engr101", letsEncryptEmail: "prof@example.edu", authProvider: "github",
    oauthClientId: "Iv1.abc", oauthClientSecret: SECRET_IS_SET, allowedUsers: ["ada"], ...extra,
});

test("healthCheckTimeoutMinutes and archiveOnDestroy: defaults, and errors that name the fix", () => {
    assert.deepEqual(classConfig({}).operations, { healthCheckTimeoutMinutes: 10, archiveOnDestroy: true });
    assert.deepEqual(classConfig({ healthCheckTimeoutMinutes: "30", archiveOnDestroy: "false" }).operations,
        { healthCheckTimeoutMinutes: 30, archiveOnDestroy: false });
    assert.throws(() => classConfig({ healthCheckTimeoutMinutes: "0" }),
        /healthCheckTimeoutMinutes: got "0"; expected at least 1 minute\. Fix: pulumi config set healthCheckTimeoutMinutes 20/);
    assert.throws(() => classConfig({ healthCheckTimeoutMinutes: "2.5" }), /healthCheckTimeoutMinutes: got "2.5"; expected whole minutes/);
    assert.throws(() => classConfig({ archiveOnDestroy: "no" }), /archiveOnDestroy: got "no"; expected true or false/);
});

test("the components: commands, order and time limits", async () => {
    const mocks = installMocks({});
    const requests = recordRequests();
    const connection = sshConnection("203.0.113.10", "instructor", pulumi.secret("key"));
    const server = new (class extends pulumi.CustomResource {})("test:index:Droplet", "droplet", {});
    const sync = new HubSync("s", { connection, userData: "#cloud-config\n", serverId: "1" });
    new HubHealth("h", { connection, timeoutMinutes: 10, staging: false, after: [sync], triggers: [sync.userDataHash] });
    new HubArchive("a", { host: "203.0.113.10", user: "instructor", privateKey: "key", stackName: "engr101", enabled: true, serverId: "1", server });
    await registeredUrns();

    const syncStep = mocks.named("s-sync", "command:remote:Command").inputs;
    assert.equal(SYNC_COMMAND, `(${WAIT_FOR_CLOUD_INIT}) && sudo -n /usr/local/lib/jupyterhub-classroom/classroom-sync`);
    assert.equal(syncStep.create, SYNC_COMMAND);
    assert.equal(syncStep.stdin, "#cloud-config\n");
    assert.deepEqual(requests.get("h-check")!.dependencies, ["s-sync"]);
    assert.equal(healthCheckCommand(1, true), `sudo -n ${HEALTH_CHECK} --timeout 60 --staging`);
    assert.equal(archiveCommand("203.0.113.10", "instructor", "engr101"),
        "npm run --silent archive -- --host 203.0.113.10 --user instructor --name engr101");
    assert.deepEqual(requests.get("a-before-delete")!.dependencies, ["droplet"]);
    const archive = mocks.named("a-before-delete", "command:local:Command").inputs;
    assert.ok(isSecretInput(archive.environment));
    assert.deepEqual(unwrap(archive.environment), { CLASSROOM_SSH_PRIVATE_KEY: "key" });
    assert.deepEqual(requests.get("s-sync")!.timeouts, { create: "40m", update: "30m", delete: "" });
    assert.deepEqual(requests.get("h-check")!.timeouts, { create: "15m", update: "15m", delete: "" });
    assert.deepEqual(requests.get("a-before-delete")!.timeouts, { create: "", update: "", delete: "60m" });
});

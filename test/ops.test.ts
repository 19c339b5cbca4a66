// The quarter's operations as the program hands them to the Pulumi engine: what runs after what,
// what runs before what is deleted, what is kept, and what a lock-file change replaces (nothing).
// Dependencies are read from the requests the engine receives, which decide its order: a
// resource is created after everything it depends on, and deleted before it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { HubArchive } from "../components/hubArchive";
import { firewallTag } from "../components/hubServer";
import { HubHealth } from "../components/hubHealth";
import { HubSync } from "../components/hubSync";
import { archiveCommand, HEALTH_CHECK, healthCheckCommand, SYNC_COMMAND, WAIT_FOR_CLOUD_INIT } from "../lib/server";
import { parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { sshConnection } from "../lib/sshConnection";
import { renderSyncDocument } from "../lib/userData";
import { rawClassConfig } from "../lib/config/stack";
import { tarball } from "../lib/tarball";
import { github } from "./support/configCases";
import { installMocks, isSecretInput, namespaced, openSshPublicKey, registeredUrns, unwrap } from "./support/pulumiMocks";

/** The valid GitHub class, with a client secret the tests look for where it must not be. */
const engr101 = { ...github, oauthClientSecret: "planted-oauth-client-secret-91c2" } as Record<string, string>;

const HOST_KEY = openSshPublicKey("host");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Runs index.ts under fresh mocks, recording what it asks the engine for. */
async function runProgram(extra: Record<string, string> = {}) {
    const mocks = installMocks(namespaced({ ...engr101, ...extra }), ["jupyterhub-classroom:oauthClientSecret"]);
    const programPath = require.resolve("../index");
    delete require.cache[programPath];
    require(programPath);
    await registeredUrns();
    return mocks;
}

test("the health check runs after the server files are synced and the class settings applied, and after each change", async () => {
    const run = await runProgram();
    assert.deepEqual(run.request("hub-check").dependencies.filter((d) => d === "hub-apply" || d === "hub-sync").sort(),
        ["hub-apply", "hub-sync"]);
    const check = run.named("hub-check", "command:remote:Command").inputs;
    assert.equal(check.create, `sudo -n ${HEALTH_CHECK} --timeout 600`);
    const syncDocument = run.named("hub-sync", "command:remote:Command").inputs.stdin;
    const triggers = unwrap(check.triggers).map(unwrap);
    assert.ok(triggers.includes(sha256(syncDocument)), "re-checks when the server files change");
    const applied = unwrap(run.named("hub-apply", "command:remote:Command").inputs.triggers).map(unwrap);
    assert.ok(triggers.includes(applied[0]), "re-checks when the apply bundle changes");
    assert.ok(triggers.includes("412345678"), "re-checks a new Droplet");
    assert.ok(isSecretInput(check.triggers) || check.triggers.some(isSecretInput), "the bundle's hash stays secret");
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
    assert.ok(run.request("hub-before-delete").dependencies.includes("hub-sync"), "classroom-archive is on the server only after the sync");
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

/** The files of an uncompressed tar archive, by name, in order. */
function untar(archive: Buffer): Map<string, { content: Buffer; mode: number }> {
    const files = new Map<string, { content: Buffer; mode: number }>();
    for (let offset = 0; offset + 512 <= archive.length && archive[offset] !== 0;) {
        const field = (start: number, length: number) => archive.subarray(offset + start, offset + start + length).toString().replace(/\0.*$/s, "");
        const size = parseInt(field(124, 12), 8);
        files.set(field(0, 100), { content: archive.subarray(offset + 512, offset + 512 + size), mode: parseInt(field(100, 8), 8) });
        offset += 512 + Math.ceil(size / 512) * 512;
    }
    return files;
}

const LIBRARY = "/usr/local/lib/jupyterhub-classroom/library.tar";

/** The files of a cloud-config's library.tar. */
function libraryFiles(document: string) {
    const library = parse(document).write_files.find((f: { path: string }) => f.path === LIBRARY);
    return untar(gunzipSync(Buffer.from(library.content, "base64")));
}

/** The document with one file of library.tar replaced, as a new lock file would render it. */
function withLibraryFile(document: string, name: string, content: string): string {
    const doc = parse(document);
    const library = doc.write_files.find((f: { path: string }) => f.path === LIBRARY);
    const files = libraryFiles(document);
    assert.ok(files.has(name), name);
    files.set(name, { ...files.get(name)!, content: Buffer.from(content) });
    library.content = gzipSync(tarball([...files].map(([file, entry]) => ({ name: file, ...entry })))).toString("base64");
    return `#cloud-config\n${stringify(doc)}`;
}

const lockFile = (lock: string) => readFileSync(join(__dirname, "..", "cloud-init", "requirements", `${lock}.txt`), "utf8");

test("the hub's lock travels in the Droplet's user-data, which it ignores; both locks in HubSync's document", async () => {
    const run = await runProgram();
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    const sync = run.named("hub-sync", "command:remote:Command").inputs;
    const cfg = parseClassConfig(rawClassConfig(namespaced(engr101)));
    assert.equal(sync.stdin, renderSyncDocument(cfg, [run.world.generatedPublicKey]));
    // The students' lock waits for HubSync: the first boot's 64 KiB have no room for it.
    const firstBoot = libraryFiles(unwrap(droplet.userData));
    assert.equal(firstBoot.get("requirements/hub.txt")?.content.toString(), lockFile("hub"));
    assert.equal(firstBoot.has("requirements/user.txt"), false);
    const synced = libraryFiles(sync.stdin);
    for (const lock of ["hub", "user"]) assert.equal(synced.get(`requirements/${lock}.txt`)?.content.toString(), lockFile(lock));
    // A new lock file changes the user-data only, which the Droplet ignores: what decides its
    // replacement (every other input, and its trigger) comes from the class config alone.
    assert.deepEqual(run.request("hub-droplet").ignoreChanges, ["userData"]);
    const { userData, ...decisive } = droplet;
    assert.ok(unwrap(userData).startsWith("#cloud-config\n"));
    assert.deepEqual(decisive, {
        name: "engr101.example.edu", image: cfg.droplet.image, region: cfg.droplet.region, size: cfg.droplet.size,
        resizeDisk: false, sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"], volumeIds: ["hub-homes-id"],
        monitoring: true, ipv6: true, tags: ["jupyterhub-classroom", "engr101", firewallTag("jupyterhub-classroom", "engr101")],
    });
    assert.deepEqual(run.request("hub-droplet").replacementTrigger, { adminUser: "instructor", hostname: "engr101.example.edu" });
});

test("a new lock file changes HubSync's trigger: the sync step updates in place and delivers it", async () => {
    const program = await runProgram();
    const current = program.named("hub-sync", "command:remote:Command").inputs.stdin;
    // The renderer reads cloud-init/ only, so the bump is made in the rendered document.
    const hub = lockFile("hub");
    assert.match(hub, /^aiohttp==3\.14\.5 /m);
    const bumped = withLibraryFile(current, "requirements/hub.txt", hub.replace(/^aiohttp==3\.14\.5 /m, "aiohttp==3.14.6 "));
    assert.notEqual(bumped, current);

    const mocks = installMocks({});
    const connection = sshConnection("203.0.113.10", "instructor", pulumi.secret("key"), HOST_KEY);
    new HubSync("before", { connection, syncDocument: current, serverId: "412345678" });
    new HubSync("after", { connection, syncDocument: bumped, serverId: "412345678" });
    await registeredUrns();
    const before = mocks.named("before-sync", "command:remote:Command").inputs;
    const after = mocks.named("after-sync", "command:remote:Command").inputs;
    assert.deepEqual(before.triggers, [sha256(current), "412345678"]);
    assert.deepEqual(after.triggers, [sha256(bumped), "412345678"]);
    assert.equal(after.stdin, bumped);
    assert.equal(libraryFiles(after.stdin).get("requirements/hub.txt")?.content.toString().includes("aiohttp==3.14.6 "), true);
    // With an update command, a changed trigger updates the step in place (pulumi-command), running classroom-sync again.
    assert.equal(after.update, after.create);
    assert.equal(after.create, SYNC_COMMAND);
    const differing = Object.keys({ ...before, ...after }).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
    assert.deepEqual(differing.sort(), ["stdin", "triggers"]);
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
    const requests = mocks.requests;
    const connection = sshConnection("203.0.113.10", "instructor", pulumi.secret("key"), HOST_KEY);
    const server = new (class extends pulumi.CustomResource {})("test:index:Droplet", "droplet", {});
    const sync = new HubSync("s", { connection, syncDocument: "#cloud-config\n", serverId: "1" });
    new HubHealth("h", { connection, timeoutMinutes: 10, untrustedCa: false, after: [sync], triggers: [sync.syncDocumentHash] });
    new HubArchive("a", { host: "203.0.113.10", user: "instructor", privateKey: "key", hostKey: HOST_KEY, stackName: "engr101", enabled: true, serverId: "1", server });
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
    // The host key too, never on the command line: `npm run archive` talks only to the server showing it.
    assert.deepEqual(unwrap(archive.environment), { CLASSROOM_SSH_PRIVATE_KEY: "key", CLASSROOM_SSH_HOST_KEY: HOST_KEY });
    assert.ok(!archive.delete.includes(HOST_KEY.split(" ")[1]));
    assert.deepEqual(requests.get("s-sync")!.timeouts, { create: "40m", update: "30m", delete: "" });
    assert.deepEqual(requests.get("h-check")!.timeouts, { create: "15m", update: "15m", delete: "" });
    assert.deepEqual(requests.get("a-before-delete")!.timeouts, { create: "", update: "", delete: "60m" });
});

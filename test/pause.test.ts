// Between terms (`paused`): what the program asks the engine for while the class runs, while it is
// paused and once it resumes. The engine deletes what a program no longer registers in the reverse
// order of the dependencies its state recorded (a resource goes before those it depends on), so
// the running class's recorded dependencies decide what a pause deletes first.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { pausedNotice } from "../components/hubDns";
import { volumeName } from "../components/hubServer";
import { archiveCommand } from "../lib/server";
import { dropletStack } from "../platforms/droplet/stack";
import { mockWorld, runProgram, valueOf } from "./support/pulumiMocks";

const engr101: Record<string, string> = {
    dnsZone: "example.edu",
    subdomain: "engr101",
    letsEncryptEmail: "prof@example.edu",
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: "planted-oauth-client-secret-91c2",
    allowedUsers: '["ada-lovelace"]',
};
const SECRET_KEYS = ["oauthClientSecret"];
/** One world for every run: the stack's keys are generated once and kept in its state. */
const world = mockWorld();

type Run = Awaited<ReturnType<typeof runProgram>>;
let running: Run;
let paused: Run;
let resumed: Run;

before(async () => {
    running = await runProgram(engr101, SECRET_KEYS, world);
    paused = await runProgram({ ...engr101, paused: "true" }, SECRET_KEYS, world);
    resumed = await runProgram({ ...engr101, paused: "false" }, SECRET_KEYS, world);
    for (const run of [running, paused, resumed]) assert.equal(run.error, undefined);
});

const names = (run: Run) => run.registered.map((r) => r.name);
const byName = (run: Run, name: string) => run.registered.find((r) => r.name === name);

/**
 * The order in which the engine deletes `gone` (resources the new program no longer registers),
 * from the dependencies the old program's requests recorded: dependents first.
 */
function deletionOrder(old: Run, gone: readonly string[]): string[] {
    const order: string[] = [];
    const visit = (name: string) => {
        if (order.includes(name)) return;
        for (const other of gone) if (old.request(other).dependencies.includes(name)) visit(other);
        order.push(name);
    };
    for (const name of gone) visit(name);
    return order;
}

test("paused: no Droplet and no SSH step; the volume, the keys, the firewall and the secrets stay as they were", () => {
    const gone = names(running).filter((n) => !names(paused).includes(n));
    assert.deepEqual(gone.sort(), ["hub-a", "hub-aaaa", "hub-apply", "hub-before-delete", "hub-check", "hub-droplet",
        "hub-sync", "hub-wait-for-cloud-init"]);
    assert.equal(paused.ofType("digitalocean:index/droplet:Droplet").length, 0);
    assert.equal(paused.ofType("command:remote:Command").length, 0);
    // Every resource that stays is asked for exactly as while the class ran: nothing is replaced or changed.
    for (const resource of paused.registered.filter((r) => r.type !== "cloudflare:index/dnsRecord:DnsRecord")) {
        assert.deepEqual(resource.inputs, byName(running, resource.name)?.inputs, resource.name);
    }
    const volume = paused.named("hub-homes", "digitalocean:index/volume:Volume");
    assert.equal(volume.inputs.name, volumeName("jupyterhub-classroom", "engr101"));
    assert.equal(paused.request("hub-homes").retainOnDelete, true);
    for (const kept of ["hub-ssh-host-key", "hub-ssh-key", "hub-tag-firewall", "hub-firewall-tag", "hub-cookie-secret", "hub-traefik-api-password"]) {
        assert.ok(names(paused).includes(kept), `${kept} is not kept`);
    }
});

test("paused: the hostname stays the class's, with a TXT record and no address anyone else's Droplet could get", () => {
    const records = paused.ofType("cloudflare:index/dnsRecord:DnsRecord").map((r) => r.inputs);
    assert.deepEqual(records.map((r) => [r.type, r.name, r.content, r.zoneId, r.proxied]), [
        ["TXT", "engr101.example.edu", pausedNotice("engr101"), paused.world.zoneId, false],
    ]);
    assert.match(pausedNotice("engr101"), /^"[^"]*paused false[^"]*"$/, "one quoted TXT string, saying how to resume");
});

test("pausing deletes the archive step before the Droplet: the class is archived (as on destroy) before the Droplet goes", () => {
    const gone = names(running).filter((n) => !names(paused).includes(n));
    const order = deletionOrder(running, gone);
    assert.ok(order.indexOf("hub-before-delete") < order.indexOf("hub-droplet"), order.join(" → "));
    assert.equal(order.at(-1), "hub-droplet", "the Droplet goes last, after every step that reaches it");
    const archive = running.named("hub-before-delete", "command:local:Command").inputs;
    assert.equal(archive.delete, archiveCommand(running.world.ipv4, "instructor", "engr101"));
    assert.ok(running.request("hub-before-delete").dependencies.includes("hub-droplet"));
});

test("with archiveOnDestroy off a pause archives nothing, as a destroy would not", async () => {
    const run = await runProgram({ ...engr101, archiveOnDestroy: "false" }, SECRET_KEYS);
    assert.equal(run.named("hub-before-delete", "command:local:Command").inputs.delete, undefined);
});

test("paused: the outputs say so; no address and no SSH command, the keys still there", async () => {
    const program = paused.program as ReturnType<typeof dropletStack>;
    assert.equal(program.paused, true);
    assert.equal(program.hubUrl, "https://engr101.example.edu/");
    assert.equal(program.ipv4, undefined);
    assert.equal(program.sshCommand, undefined);
    assert.equal(program.knownHosts, undefined);
    assert.equal(await valueOf(program.sshHostKey), paused.world.hostPublicKey);
    assert.equal((running.program as ReturnType<typeof dropletStack>).paused, false);
});

test("resumed: a new Droplet with the same volume attached, the same host key and the address records back", () => {
    const droplet = resumed.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    assert.deepEqual(droplet.volumeIds, ["hub-homes-id"]);
    assert.deepEqual(resumed.named("hub-homes", "digitalocean:index/volume:Volume").inputs,
        paused.named("hub-homes", "digitalocean:index/volume:Volume").inputs, "the same volume, unchanged");
    assert.deepEqual(droplet, running.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs,
        "the Droplet of a resumed class is the one a running class asks for");
    assert.deepEqual(names(resumed).sort(), names(running).sort());
    const records = resumed.ofType("cloudflare:index/dnsRecord:DnsRecord").map((r) => [r.inputs.type, r.inputs.content]);
    assert.deepEqual(records.sort(), [["A", resumed.world.ipv4], ["AAAA", resumed.world.ipv6]]);
    // The resumed server is configured as a new Droplet is: sync, settings, health, and archived before it goes.
    assert.ok(resumed.request("hub-before-delete").dependencies.includes("hub-droplet"));
    assert.ok(resumed.request("hub-check").dependencies.includes("hub-apply"));
});

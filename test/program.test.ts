import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { APPLY_CLASS_SETTINGS, SYNC_COMMAND, WAIT_FOR_CLOUD_INIT } from "../lib/server";
import { applyBundleJson, classSettings } from "../lib/bundle";
import { parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { rawClassConfig } from "../lib/config/stack";
import { firewallTag, volumeName } from "../components/hubServer";
import { withHostKey } from "../lib/hostKey";
import { parse } from "yaml";
import { dropletStack } from "../platforms/droplet/stack";
import { renderSyncDocument, renderUserData } from "../lib/userData";
import { isSecretInput, namespaced, plainText, runProgram, unwrap, valueOf } from "./support/pulumiMocks";

const planted = {
    oauthClientSecret: "planted-oauth-client-secret-91c2",
    courseRepoToken: "planted-course-token-5d7e",
};

/** A class as `pulumi config set` stores it: strings, lists as JSON text, secrets set with --secret. */
const engr101: Record<string, string> = {
    dnsZone: "example.edu",
    subdomain: "engr101",
    region: "sfo3",
    dropletSize: "s-4vcpu-8gb",
    volumeSizeGb: "50",
    letsEncryptEmail: "prof@example.edu",
    sshAllowedCidrs: '["203.0.113.0/24","2001:db8:101::/48"]',
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: planted.oauthClientSecret,
    allowedUsers: '["ada-lovelace","alan-turing"]',
    adminUsers: '["prof-hopper"]',
    courseRepoUrl: "https://github.com/example/engr101-notebooks.git",
    courseRepoToken: planted.courseRepoToken,
    loginTitle: "ENGR 101",
};
const secretKeys = ["oauthClientSecret", "courseRepoToken"];

let run: Awaited<ReturnType<typeof runProgram>>;
const cfg = parseClassConfig(rawClassConfig(namespaced(engr101)));

before(async () => {
    run = await runProgram(engr101, secretKeys);
    assert.equal(run.error, undefined);
});

/** A public key's type and base64, without its comment. */
const parsedKey = (publicKey: string) => publicKey.split(" ").slice(0, 2).join(" ");

const parentOf = (urn: string) => urn.split("::")[2].split("$").slice(0, -1).join("$");
const typeOf = (urn: string) => urn.split("::")[2].split("$").at(-1);

test("each resource is a child of its component, and the components are the project's", () => {
    const component = (name: string) => `jupyterhub-classroom:index:${name}`;
    const expectedParent: Record<string, string> = {
        "hub-ssh-private-key": component("HubServer"),
        "hub-ssh-key": component("HubServer"),
        "hub-ssh-host-key": component("HubServer"),
        "hub-homes": component("HubServer"),
        "hub-droplet": component("HubServer"),
        "hub-firewall-tag": component("HubServer"),
        "hub-tag-firewall": component("HubServer"),
        "hub-a": component("HubDns"),
        "hub-aaaa": component("HubDns"),
        "hub-cookie-secret": component("HubSecrets"),
        "hub-traefik-api-password": component("HubSecrets"),
        "hub-sync": component("HubSync"),
        "hub-wait-for-cloud-init": component("HubSettings"),
        "hub-apply": component("HubSettings"),
        "hub-check": component("HubHealth"),
        "hub-before-delete": component("HubArchive"),
    };
    const components = run.urns.filter((urn) => parentOf(urn) === "").map(typeOf).sort();
    assert.deepEqual(components, ["HubArchive", "HubDns", "HubHealth", "HubSecrets", "HubServer", "HubSettings", "HubSync"].map(component));
    const children = run.urns.filter((u) => parentOf(u) !== "");
    const nameOf = (urn: string) => urn.split("::")[3];
    assert.deepEqual(children.map(nameOf).sort(), Object.keys(expectedParent).sort());
    for (const urn of children) assert.equal(parentOf(urn), expectedParent[nameOf(urn)], urn);
});

test("volume names follow DigitalOcean's rules, name the stack, and stay distinct", () => {
    const long = "engr101-section-".repeat(5);
    const names = [["jupyterhub-classroom", "engr101"], ["jupyterhub-classroom", "ENGR.101"], ["other-project", "engr101"],
        ["jupyterhub-classroom", `${long}a`], ["jupyterhub-classroom", `${long}b`], ["jupyterhub-classroom", "..."]].map(([p, s]) => volumeName(p, s));
    for (const name of names) assert.match(name, /^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, name);
    assert.match(names[0], /^classroom-engr101-[0-9a-f]{8}$/);
    assert.equal(new Set(names).size, names.length);
});

test("the Droplet boots from user-data with the volume attached", () => {
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    const volume = run.named("hub-homes", "digitalocean:index/volume:Volume").inputs;
    const sshKey = run.named("hub-ssh-key", "digitalocean:index/sshKey:SshKey").inputs;
    assert.equal(droplet.name, "engr101.example.edu");
    assert.equal(droplet.image, "debian-12-x64", "the default image is the one the end-to-end test boots");
    assert.equal(droplet.region, "sfo3");
    assert.equal(droplet.size, "s-4vcpu-8gb");
    assert.equal(droplet.ipv6, true);
    assert.equal(droplet.monitoring, true);
    assert.deepEqual(droplet.tags, ["jupyterhub-classroom", "engr101", firewallTag("jupyterhub-classroom", "engr101")]);
    assert.deepEqual(droplet.volumeIds, ["hub-homes-id"]);
    assert.deepEqual(droplet.sshKeys, ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"]);
    assert.deepEqual({ name: volume.name, region: volume.region, size: volume.size }, { name: volumeName("jupyterhub-classroom", "engr101"), region: "sfo3", size: 50 });
    assert.equal(sshKey.publicKey, run.world.generatedPublicKey);
    // The user-data carries the host key's private half: secret, in the state and in previews.
    assert.ok(isSecretInput(droplet.userData));
    assert.equal(unwrap(droplet.userData), withHostKey(renderUserData(cfg, [run.world.generatedPublicKey]),
        { privateKey: run.world.hostPrivateKey, publicKey: run.world.hostPublicKey }));
    // Later changes to it travel over SSH (HubSync); only a new admin user or hostname replaces the Droplet.
    assert.deepEqual(run.request("hub-droplet").ignoreChanges, ["userData"]);
    assert.deepEqual(run.request("hub-droplet").replacementTrigger, { adminUser: "instructor", hostname: "engr101.example.edu" });
});

test("every SSH step shares one connection: the admin user at the Droplet's address, with the stack's key, to the stack's host key only", () => {
    const steps = ["hub-sync", "hub-wait-for-cloud-init", "hub-apply", "hub-check"];
    // Every remote command the program makes, so a new one cannot go without the host key.
    assert.deepEqual(run.ofType("command:remote:Command").map((r) => r.name).sort(), [...steps].sort());
    const connections = steps.map((name) => unwrap(run.named(name, "command:remote:Command").inputs.connection));
    for (const connection of connections) {
        assert.deepEqual(connection, {
            host: run.world.ipv4, port: 22, user: "instructor", privateKey: run.world.generatedPrivateKey,
            hostKey: run.world.hostPublicKey, dialErrorLimit: -1, perDialTimeout: 30,
        });
    }
    // The pinned key is the one the user-data installs, in the form pulumi-command parses (authorized_keys).
    assert.notEqual(run.world.hostPublicKey, run.world.generatedPublicKey);
    const userData = parse(unwrap(run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs.userData));
    assert.equal(userData.ssh_keys.ed25519_public, parsedKey(run.world.hostPublicKey));
    assert.equal(userData.ssh_keys.ed25519_private, run.world.hostPrivateKey);
    assert.equal(userData.ssh_deletekeys, true);
    const keyIsSecret = (name: string) => {
        const connection = run.named(name, "command:remote:Command").inputs.connection;
        return isSecretInput(connection) || isSecretInput(connection.privateKey);
    };
    for (const name of steps) assert.ok(keyIsSecret(name), name);
});

test("HubSync sends every server file, day-2 tools included, again on each change and each new Droplet", () => {
    const sync = run.named("hub-sync", "command:remote:Command").inputs;
    assert.equal(sync.stdin, renderSyncDocument(cfg, [run.world.generatedPublicKey]));
    assert.notEqual(sync.stdin, renderUserData(cfg, [run.world.generatedPublicKey]));
    assert.equal(sync.create, SYNC_COMMAND);
    assert.equal(sync.update, SYNC_COMMAND);
    assert.deepEqual(sync.triggers, [createHash("sha256").update(sync.stdin).digest("hex"), "412345678"]);
});

test("the firewall exists before the Droplet and applies to it from its first boot, by a tag of the class's own", () => {
    const tag = run.named("hub-firewall-tag", "digitalocean:index/tag:Tag").inputs;
    const firewall = run.named("hub-tag-firewall", "digitalocean:index/firewall:Firewall").inputs;
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    assert.equal(tag.name, firewallTag("jupyterhub-classroom", "engr101"));
    assert.match(tag.name, /^[A-Za-z0-9:_-]{1,255}$/, "DigitalOcean's tag alphabet");
    assert.deepEqual(firewall.tags, [tag.name]);
    assert.equal(firewall.dropletIds, undefined, "not attached by id, after the Droplet exists");
    assert.ok(droplet.tags.includes(tag.name), "the Droplet carries the firewall's tag from its creation");
    // The engine creates a resource only after everything it depends on.
    assert.ok(run.request("hub-droplet").dependencies.includes("hub-tag-firewall"));
    assert.ok(run.request("hub-tag-firewall").dependencies.includes("hub-firewall-tag"));
    assert.ok(!run.request("hub-tag-firewall").dependencies.includes("hub-droplet"));
    assert.notEqual(firewallTag("jupyterhub-classroom", "engr101"), firewallTag("jupyterhub-classroom", "engr102"));
});

test("the firewall opens web and ping to all, SSH only to sshAllowedCidrs", () => {
    const firewall = run.named("hub-tag-firewall", "digitalocean:index/firewall:Firewall").inputs;
    const inbound = firewall.inboundRules.map((r: any) => `${r.protocol}:${r.portRange ?? "-"} from ${r.sourceAddresses.join(" ")}`);
    assert.deepEqual(inbound.sort(), [
        "icmp:- from 0.0.0.0/0 ::/0",
        "tcp:22 from 203.0.113.0/24 2001:db8:101::/48",
        "tcp:443 from 0.0.0.0/0 ::/0",
        "tcp:80 from 0.0.0.0/0 ::/0",
    ]);
    const outbound = firewall.outboundRules.map((r: any) => `${r.protocol}:${r.portRange ?? "-"} to ${r.destinationAddresses.join(" ")}`);
    assert.deepEqual(outbound.sort(), ["icmp:- to 0.0.0.0/0 ::/0", "tcp:1-65535 to 0.0.0.0/0 ::/0", "udp:1-65535 to 0.0.0.0/0 ::/0"]);
});

test("DNS records in the looked-up zone point at the Droplet's addresses, not proxied", () => {
    const records = run.ofType("cloudflare:index/dnsRecord:DnsRecord").map((r) => r.inputs);
    assert.deepEqual(records.map((r) => [r.type, r.name, r.content, r.zoneId, r.ttl, r.proxied]).sort(), [
        ["A", "engr101.example.edu", run.world.ipv4, run.world.zoneId, 1, false],
        ["AAAA", "engr101.example.edu", run.world.ipv6, run.world.zoneId, 1, false],
    ]);
});

test("HubSettings waits for cloud-init, then sends the bundle on stdin, never in a command", () => {
    const wait = run.named("hub-wait-for-cloud-init", "command:remote:Command").inputs;
    const apply = run.named("hub-apply", "command:remote:Command").inputs;
    assert.equal(wait.create, WAIT_FOR_CLOUD_INIT);
    assert.deepEqual(wait.triggers, ["412345678"]);
    assert.equal(apply.create, APPLY_CLASS_SETTINGS);
    assert.equal(apply.update, apply.create);
    assert.equal(apply.logging, "stdoutAndStderr");
    assert.equal(apply.environment, undefined);

    const expected = applyBundleJson(classSettings(cfg), {
        ...planted, cookieSecret: run.world.cookieSecret, traefikApiPassword: run.world.traefikApiPassword, cloudflareDnsToken: null,
    });
    assert.ok(isSecretInput(apply.stdin));
    assert.equal(unwrap(apply.stdin), expected);
    assert.ok(isSecretInput(apply.triggers));
    assert.deepEqual(unwrap(apply.triggers), [createHash("sha256").update(expected).digest("hex"), "412345678"]);

    const connection = unwrap(apply.connection);
    assert.deepEqual(unwrap(wait.connection), connection);
    assert.deepEqual({ host: connection.host, user: connection.user, dialErrorLimit: connection.dialErrorLimit },
        { host: run.world.ipv4, user: "instructor", dialErrorLimit: -1 });
    assert.equal(connection.privateKey, run.world.generatedPrivateKey);
});

test("no secret is in plain text in any resource's inputs, and so not in the Droplet's", () => {
    const secrets = [...Object.values(planted), run.world.cookieSecret, run.world.traefikApiPassword, "planted-generated-private-key", "planted-host-private-key"];
    for (const resource of run.registered) {
        const text = plainText(resource.inputs);
        for (const secret of secrets) assert.ok(!text.includes(secret), `${resource.name} shows ${secret}`);
    }
    // The Droplet's one secret is its own host key, in its (secret) user-data: no class secret.
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    assert.ok(!JSON.stringify(droplet).includes(SECRET_IS_SET));
    for (const secret of secrets.filter((s) => s !== "planted-host-private-key")) assert.ok(!JSON.stringify(droplet).includes(secret));
});

test("the outputs an instructor needs, the private key kept secret", async () => {
    const program = run.program as ReturnType<typeof dropletStack>;
    assert.equal(program.hubUrl, "https://engr101.example.edu/");
    assert.equal(program.oauthCallbackUrl, "https://engr101.example.edu/hub/oauth_callback");
    assert.equal(program.adminUser, "instructor");
    assert.equal(await valueOf(program.ipv4!), run.world.ipv4);
    assert.equal(await valueOf(program.sshCommand!), `pulumi stack output --show-secrets privateKey | ssh-add - && ssh instructor@${run.world.ipv4}`);
    assert.equal(await valueOf(program.privateKey), run.world.generatedPrivateKey);
    assert.equal(await pulumi.isSecret(program.privateKey), true);
    assert.equal(await valueOf(program.sshHostKey), run.world.hostPublicKey);
    assert.equal(await valueOf(program.knownHosts!), `${run.world.ipv4} ${run.world.hostPublicKey}`);
});

test("sshCommand is a command line for any POSIX shell, not only bash", async () => {
    const line = await valueOf((run.program as ReturnType<typeof dropletStack>).sshCommand!);
    // dash, Debian's /bin/sh, reads it without a syntax error (bash's <(...) would be one).
    const parsed = spawnSync("dash", ["-n", "-c", line], { encoding: "utf8" });
    assert.equal(parsed.status, 0, parsed.stderr);
    assert.equal(spawnSync("dash", ["-n", "-c", "ssh -i <(cat key) x"]).status, 2, "dash refuses process substitution");
});

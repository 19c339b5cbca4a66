/**
 * The real Pulumi engine on the example class stack (Pulumi.dev.yaml), against local stand-ins of
 * the DigitalOcean and Cloudflare APIs: `npm run test:engine`, opt-in (docs/engine.md).
 *
 * Rungs that need a piece tools/engine/build.sh could not build are skipped with "BLOCKED" and the
 * command and error it recorded, never silently; the rungs that can run still do.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test, TestContext } from "node:test";
import { DNS_WRITE, ZONE_READ } from "../../components/hubAcmeToken";
import { pausedNotice } from "../../components/hubDns";
import { firewallTag, volumeName } from "../../components/hubServer";
import { COOKIE_SECRET_BYTES, TRAEFIK_API_PASSWORD_LENGTH } from "../../lib/bundle";
import { CloudflareStandIn, startCloudflare } from "./standIns/cloudflare";
import { DigitalOceanStandIn, startDigitalOcean } from "./standIns/digitalocean";
import { LocalSshd, startSshd } from "./localSshd";
import { buildToolchain, engineEnv, Plugin, PLUGINS, pulumiVersion, REPO, Toolchain, Workspace } from "./toolchain";
import { changes, countByType, custom } from "./steps";

const STACK = "dev";
/** Pulumi.dev.yaml's secrets are encrypted with this passphrase (the file says so). */
const PASSPHRASE = "engr101-example";
const DO_TOKEN = "dop_v1_engine_test_token";
const CF_TOKEN = "engine-test-token-0123456789abcdefghijklmnopqrstuvwxyz";
/** The stand-in Droplets' address: TEST-NET-3, never routed; no rung here connects to it (classCycle.test.ts boots its Droplet). */
const DROPLET_IPV4 = "203.0.113.10";

/** What dnsAndToken.ts declares: the hub's A and AAAA records, their wildcards, and the ACME token. */
const DNS_AND_TOKEN: Record<string, number> = {
    "cloudflare:index/apiToken:ApiToken": 1,
    "cloudflare:index/dnsRecord:DnsRecord": 4,
};
const HUB_HOST = "engr101.example.edu";

/** What keysAndSecrets.ts declares: the class's generated keys and its own secrets. */
const KEYS_AND_SECRETS: Record<string, number> = {
    "random:index/randomPassword:RandomPassword": 2,
    "tls:index/privateKey:PrivateKey": 2,
};

/** What dropletResources.ts declares: HubServer's resources. */
const DROPLET_RESOURCES: Record<string, number> = {
    "tls:index/privateKey:PrivateKey": 2,
    "digitalocean:index/sshKey:SshKey": 1,
    "digitalocean:index/volume:Volume": 1,
    "digitalocean:index/tag:Tag": 1,
    "digitalocean:index/firewall:Firewall": 1,
    "digitalocean:index/droplet:Droplet": 1,
};

const timings: string[] = [];

describe("the real Pulumi engine on the example class stack", () => {
    let toolchain: Toolchain;
    let workspace: Workspace;
    let digitalocean: DigitalOceanStandIn;
    let cloudflare: CloudflareStandIn;
    let sshd: LocalSshd | undefined;
    let dir: string;

    before(async () => {
        toolchain = buildToolchain();
        timings.push(`build (tools/engine/build.sh): ${toolchain.buildSeconds.toFixed(1)} s`);
        for (const [piece, reason] of toolchain.blocked) console.log(`BLOCKED ${piece}:\n${reason}\n`);

        digitalocean = await startDigitalOcean({ token: DO_TOKEN, dropletIpv4: DROPLET_IPV4 });
        cloudflare = await startCloudflare({ token: CF_TOKEN, zoneName: "example.edu" });
        dir = mkdtempSync(join(tmpdir(), "jhc-engine-"));
        mkdirSync(join(dir, "state"));
        for (const file of ["Pulumi.yaml", `Pulumi.${STACK}.yaml`]) copyFileSync(join(REPO, file), join(dir, file));
        workspace = new Workspace(dir, STACK, cliEnv(join(dir, "state")));
        workspace.pulumi(["stack", "init", STACK]);
        workspace.pulumi(["config", "set", "digitalocean:apiEndpoint", digitalocean.url]);
        workspace.pulumi(["config", "set", "cloudflare:baseUrl", cloudflare.baseUrl]);
    });

    after(async () => {
        console.log(`\nTimings:\n  ${timings.join("\n  ")}`);
        if (digitalocean) console.log(`\nDigitalOcean stand-in calls:\n  ${digitalocean.log.join("\n  ")}`);
        if (cloudflare) console.log(`\nCloudflare stand-in calls:\n  ${cloudflare.log.join("\n  ")}`);
        await digitalocean?.close();
        await cloudflare?.close();
        sshd?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The CLI's environment for a stack whose state lives in STATE_DIR. */
    const cliEnv = (stateDir: string): NodeJS.ProcessEnv =>
        engineEnv(toolchain, { stateDir, passphrase: PASSPHRASE, digitaloceanToken: DO_TOKEN, cloudflareToken: CF_TOKEN });

    /** Skips a rung, loudly, when a plugin it needs could not be built. */
    const needsPlugins = (t: TestContext, plugins: readonly Plugin[] = PLUGINS): boolean => {
        const missing = toolchain.missingPlugins.filter((plugin) => plugins.includes(plugin));
        if (missing.length === 0) return true;
        t.skip(`BLOCKED: no ${missing.map((p) => `pulumi-resource-${p}`).join(", ")} (the BLOCKED lines above say why; docs/engine.md)`);
        return false;
    };

    test("the CLI is the version package-lock.json pins for @pulumi/pulumi", () => {
        const lock = require(join(REPO, "package-lock.json"));
        assert.equal(pulumiVersion(toolchain.binDir), `v${lock.packages["node_modules/@pulumi/pulumi"].version}`);
    });

    test("the CLI decrypts the example stack's secret with its passphrase, and refuses another", () => {
        assert.equal(workspace.pulumi(["config", "get", "oauthClientSecret"]).output.trim().length > 0, true);
        const wrong = new Workspace(dir, STACK, { ...workspace.env, PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" });
        const refused = wrong.pulumi(["config", "get", "oauthClientSecret"], { mayFail: true });
        assert.notEqual(refused.status, 0);
        assert.match(refused.output, /incorrect passphrase/);
    });

    test("bad input stops `pulumi preview` naming the key and its fix, before any resource", async () => {
        workspace.pulumi(["config", "set", "region", "New York"]);
        try {
            const started = Date.now();
            const preview = await workspace.operation("preview");
            timings.push(`preview with a bad region: ${((Date.now() - started) / 1000).toFixed(1)} s`);
            assert.ok(preview.error, "the preview must fail");
            assert.match(preview.cliOutput, /region\b.*New York/);
            assert.match(preview.cliOutput, /pulumi config set region /);
            assert.deepEqual(custom(preview.steps), [], "no resource may be planned");
        } finally {
            workspace.pulumi(["config", "set", "region", "nyc3"]);
        }
    });

    test("the class's keys and secrets with the tls and random plugins: preview, up, no changes, destroy", async (t) => {
        if (!needsPlugins(t, ["tls", "random"])) return;
        const keysDir = join(dir, "keys-and-secrets");
        mkdirSync(join(keysDir, "state"), { recursive: true });
        writeFileSync(join(keysDir, "Pulumi.yaml"), "name: jupyterhub-classroom\nruntime: nodejs\n");
        const keys = new Workspace(keysDir, STACK, cliEnv(join(keysDir, "state")), join(__dirname, "keysAndSecrets.ts"));
        keys.pulumi(["stack", "init", STACK]);

        const preview = await keys.operation("preview");
        timings.push(`keys and secrets, preview: ${preview.seconds.toFixed(1)} s`);
        assert.equal(preview.error, undefined, preview.cliOutput);
        assert.deepEqual(countByType(custom(preview.steps)), KEYS_AND_SECRETS, preview.cliOutput);
        assert.deepEqual(custom(preview.steps).filter((s) => s.op !== "create"), []);

        const up = await keys.operation("up");
        timings.push(`keys and secrets, up: ${up.seconds.toFixed(1)} s`);
        assert.equal(up.error, undefined, up.cliOutput);
        const secretOutputs = ["loginPrivateKey", "hostPrivateKey", "cookieSecret", "traefikApiPassword"];
        for (const name of secretOutputs) assert.equal(up.outputs[name], "[secret]", `${name} must be a secret output`);
        const values: Record<string, string> = JSON.parse(keys.pulumi(["stack", "output", "--json", "--show-secrets"]).stdout);
        assert.match(values.cookieSecret, new RegExp(`^[0-9a-f]{${2 * COOKIE_SECRET_BYTES}}$`));
        assert.match(values.traefikApiPassword, new RegExp(`^[A-Za-z0-9]{${TRAEFIK_API_PASSWORD_LENGTH}}$`));
        for (const key of ["login", "host"]) {
            assert.match(values[`${key}PublicKey`], /^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
            assert.equal(publicKeyOf(values[`${key}PrivateKey`], keysDir), values[`${key}PublicKey`], `${key}: the public key is the private key's`);
        }
        assert.notEqual(values.loginPublicKey, values.hostPublicKey);
        const state = JSON.parse(keys.pulumi(["stack", "export"]).stdout);
        const inClear = stringsIn(state).join("\n");
        for (const name of secretOutputs) assert.ok(!inClear.includes(values[name]), `${name} is in the stack's state in clear`);
        // Nor its bytes in another encoding (RandomBytes' resource id was their base64, and ids are stored unencrypted).
        assert.ok(!inClear.includes(Buffer.from(values.cookieSecret, "hex").toString("base64")), "the cookie secret's bytes are in the stack's state in clear");

        const again = await keys.operation("preview");
        timings.push(`keys and secrets, preview after up: ${again.seconds.toFixed(1)} s`);
        assert.equal(again.error, undefined, again.cliOutput);
        assert.deepEqual(custom(again.steps).filter((s) => s.op !== "same"), [], again.cliOutput);

        const destroy = await keys.operation("destroy");
        timings.push(`keys and secrets, destroy: ${destroy.seconds.toFixed(1)} s`);
        assert.equal(destroy.error, undefined, destroy.cliOutput);
        assert.deepEqual(countByType(custom(destroy.steps).filter((s) => s.op === "delete")), KEYS_AND_SECRETS);
        assert.deepEqual(JSON.parse(keys.pulumi(["stack", "export"]).stdout).deployment.resources ?? [], []);
    });

    test("the class's DigitalOcean resources with the tls and digitalocean plugins: preview, up, no changes, updates in place, a replaced Droplet, destroy", async (t) => {
        if (!needsPlugins(t, ["tls", "digitalocean"])) return;
        // A stand-in of its own: the volume this rung retains must not meet the class stack's, which has the same name.
        const api = await startDigitalOcean({ token: DO_TOKEN, dropletIpv4: DROPLET_IPV4 });
        const serverDir = join(dir, "droplet-resources");
        mkdirSync(join(serverDir, "state"), { recursive: true });
        for (const file of ["Pulumi.yaml", `Pulumi.${STACK}.yaml`]) copyFileSync(join(REPO, file), join(serverDir, file));
        const server = new Workspace(serverDir, STACK, cliEnv(join(serverDir, "state")), join(__dirname, "dropletResources.ts"));
        server.pulumi(["stack", "init", STACK]);
        server.pulumi(["config", "set", "digitalocean:apiEndpoint", api.url]);
        const step = async (name: "preview" | "up" | "destroy", what: string) => {
            const report = await server.operation(name);
            timings.push(`DigitalOcean resources, ${what}: ${report.seconds.toFixed(1)} s`);
            assert.equal(report.error, undefined, report.cliOutput);
            assert.deepEqual(api.problems, [], "the DigitalOcean stand-in refused a request");
            return report;
        };
        const outputs = (): Record<string, string> => JSON.parse(server.pulumi(["stack", "output", "--json", "--show-secrets"]).stdout);
        const only = <T>(objects: ReadonlyMap<unknown, T>): T => {
            assert.equal(objects.size, 1, `expected one object, found ${objects.size}`);
            return [...objects.values()][0];
        };
        const sshRule = () => only(api.firewalls).inbound_rules?.find((r) => r.ports === "22");
        const calls = (pattern: RegExp) => api.log.filter((line) => pattern.test(line));
        try {
            const preview = await step("preview", "preview");
            assert.deepEqual(countByType(custom(preview.steps)), DROPLET_RESOURCES, preview.cliOutput);
            assert.deepEqual(custom(preview.steps).filter((s) => s.op !== "create"), []);
            assert.equal(api.log.length, 0, `a preview must not call the API:\n${api.log.join("\n")}`);

            const up = await step("up", "up");
            assert.equal(up.outputs.userData, "[secret]");
            assert.equal(up.outputs.privateKey, "[secret]");
            let values = outputs();
            const droplet = only(api.droplets);
            const volume = only(api.volumes);
            const key = only(api.sshKeys);
            const firewall = only(api.firewalls);
            assert.equal(String(droplet.id), values.dropletId);
            assert.equal(values.ipv4, DROPLET_IPV4);
            assert.equal(droplet.user_data, values.userData, "the Droplet boots from the stack's user-data");
            // The provider waited: the stand-in reports a new Droplet "new" once, and the state says "active".
            assert.ok(calls(new RegExp(`^GET /v2/droplets/${droplet.id} -> 200`)).length >= 2);
            assert.equal(dropletState(server).outputs.status, "active");
            assert.equal(volume.name, volumeName("jupyterhub-classroom", STACK));
            assert.deepEqual(droplet.volume_ids, [volume.id], "the volume is attached at creation");
            assert.deepEqual(volume.droplet_ids, [droplet.id]);
            assert.deepEqual(calls(/\/v2\/volumes\/[^ ]+\/actions/), [], "no attach action: the Droplet was created with the volume");
            assert.equal(key.public_key, values.publicKey);
            assert.deepEqual(droplet.ssh_key_ids, [key.id]);
            assert.deepEqual(firewall.tags, [firewallTag("jupyterhub-classroom", STACK)]);
            assert.ok(droplet.tags.includes(firewallTag("jupyterhub-classroom", STACK)), "the Droplet carries the firewall's tag");
            assert.deepEqual(sshRule()?.sources.addresses, ["203.0.113.0/24", "2001:db8:101::/48"]);

            const again = await step("preview", "preview after up");
            assert.deepEqual(changes(again), {}, again.cliOutput);

            // SSH from one more network and a larger Droplet: both changed in place, as the real provider does.
            server.pulumi(["config", "set", "--path", "sshAllowedCidrs[2]", "198.51.100.0/24"]);
            server.pulumi(["config", "set", "dropletSize", "s-8vcpu-16gb"]);
            const inPlace = await step("preview", "preview of a new SSH network and size");
            assert.deepEqual(changes(inPlace), { "hub-tag-firewall": ["update"], "hub-droplet": ["update"] }, inPlace.cliOutput);
            await step("up", "up with a new SSH network and size");
            assert.equal(only(api.firewalls).id, firewall.id);
            assert.deepEqual(sshRule()?.sources.addresses, ["203.0.113.0/24", "2001:db8:101::/48", "198.51.100.0/24"]);
            const resized = only(api.droplets);
            assert.deepEqual([resized.id, resized.size, resized.disk, resized.status], [droplet.id, "s-8vcpu-16gb", 160, "active"],
                "the same Droplet, resized without its disk (resizeDisk: false), powered on again");

            // A new admin user: only a new Droplet creates it (replacementTrigger); the volume stays and moves to it.
            server.pulumi(["config", "set", "adminUser", "teacher"]);
            const replacing = await step("preview", "preview of a new admin user");
            assert.deepEqual(Object.keys(changes(replacing)), ["hub-droplet"], replacing.cliOutput);
            assert.ok(changes(replacing)["hub-droplet"].includes("replace"), replacing.cliOutput);
            const callsBefore = api.log.length;
            await step("up", "up with a new admin user");
            const replacement = only(api.droplets);
            assert.notEqual(replacement.id, droplet.id);
            assert.equal(only(api.volumes).id, volume.id);
            assert.deepEqual(replacement.volume_ids, [volume.id]);
            assert.deepEqual(volume.droplet_ids, [replacement.id]);
            const replaceCalls = api.log.slice(callsBefore);
            const deleted = replaceCalls.findIndex((line) => line.startsWith(`DELETE /v2/droplets/${droplet.id} `));
            const created = replaceCalls.findIndex((line) => line.startsWith("POST /v2/droplets "));
            assert.ok(deleted >= 0 && deleted < created, `the old Droplet goes first (deleteBeforeReplace):\n${replaceCalls.join("\n")}`);

            // The state holds no user-data and no private key in clear; the Droplet's state only the user-data's SHA-1.
            values = outputs();
            assert.equal(replacement.user_data, values.userData);
            const inClear = stringsIn(JSON.parse(server.pulumi(["stack", "export"]).stdout)).join("\n");
            assert.ok(!inClear.includes(values.userData), "the user-data is in the stack's state in clear");
            assert.ok(!inClear.includes(values.privateKey.trim()), "the SSH private key is in the stack's state in clear");
            assert.ok(!/PRIVATE KEY/.test(inClear), "a private key is in the stack's state in clear");
            // Decrypted, the Droplet's stored user-data is its SHA-1, itself kept as a secret.
            const stored = dropletState(server, true).outputs.userData as { plaintext: string };
            assert.equal(JSON.parse(stored.plaintext), createHash("sha1").update(values.userData).digest("hex"));

            const destroy = await step("destroy", "destroy");
            assert.deepEqual([api.droplets.size, api.firewalls.size, api.sshKeys.size], [0, 0, 0]);
            assert.ok(!api.tags.has(firewallTag("jupyterhub-classroom", STACK)), "the firewall's tag is deleted");
            // retainVolume is true in Pulumi.dev.yaml: the students' volume is kept, detached.
            assert.deepEqual([...api.volumes.values()].map((v) => [v.id, v.droplet_ids]), [[volume.id, []]]);
            assert.deepEqual(countByType(custom(destroy.steps).filter((s) => s.op === "delete")), DROPLET_RESOURCES);
            assert.deepEqual(JSON.parse(server.pulumi(["stack", "export"]).stdout).deployment.resources ?? [], []);
        } finally {
            console.log(`\nDigitalOcean stand-in calls (the DigitalOcean resources rung):\n  ${api.log.join("\n  ")}`);
            await api.close();
        }
    });

    test("local and remote commands with the command plugin, against a local sshd: create, update in place, replace, delete", async (t) => {
        if (!needsPlugins(t, ["command"])) return;
        const commandsDir = join(dir, "commands");
        const written = join(commandsDir, "written");
        mkdirSync(join(commandsDir, "state"), { recursive: true });
        mkdirSync(written);
        sshd = await startSshd(join(commandsDir, "sshd"));
        writeFileSync(join(commandsDir, "Pulumi.yaml"), "name: jupyterhub-classroom\nruntime: nodejs\n");
        const commands = new Workspace(commandsDir, STACK, cliEnv(join(commandsDir, "state")), join(__dirname, "commands.ts"));
        commands.pulumi(["stack", "init", STACK]);
        // On stdin: a value may start with "-" or span lines (the private key).
        const set = (key: string, value: string, secret = false) =>
            commands.pulumi(["config", "set", ...(secret ? ["--secret"] : []), `commandsTest:${key}`], { input: value });
        set("host", sshd.host);
        set("port", String(sshd.port));
        set("user", sshd.user);
        set("privateKey", sshd.privateKey, true);
        set("hostKey", sshd.hostKey);
        set("dir", written);
        set("bundle", "the first bundle", true);
        set("serverId", "droplet-1");
        const step = async (name: "preview" | "up" | "destroy", what: string) => {
            const report = await commands.operation(name);
            timings.push(`commands, ${what}: ${report.seconds.toFixed(1)} s`);
            assert.equal(report.error, undefined, `${report.cliOutput}\nsshd:\n${sshd?.log()}`);
            return report;
        };

        const up = await step("up", "up");
        assert.equal(up.outputs.waitedStdout, "ready");
        assert.equal(up.outputs.appliedStdout, "applied 16 bytes");
        assert.equal(readFileSync(join(written, "applied"), "utf8"), "the first bundle");

        // A new bundle: the settings step is updated in place (its update command), nothing else runs.
        set("bundle", "the second, longer bundle", true);
        assert.deepEqual(changes(await step("preview", "preview of a new stdin")), { apply: ["update"], "before-delete": ["update"] });
        const updated = await step("up", "up with a new stdin");
        assert.equal(updated.outputs.appliedStdout, "applied 25 bytes");
        assert.equal(readFileSync(join(written, "applied"), "utf8"), "the second, longer bundle");

        // A new server: every step is replaced, and the old archive step's delete runs with the secret.
        set("serverId", "droplet-2");
        const replacing = changes(await step("preview", "preview of a new trigger"));
        assert.deepEqual(Object.keys(replacing).sort(), ["apply", "before-delete", "wait"]);
        assert.ok(Object.values(replacing).every((ops) => ops.includes("replace")), JSON.stringify(replacing));
        await step("up", "up with a new trigger");
        assert.equal(readFileSync(join(written, "deleted"), "utf8"), "the second, longer bundle");

        rmSync(join(written, "deleted"));
        await step("destroy", "destroy");
        assert.equal(readFileSync(join(written, "deleted"), "utf8"), "the second, longer bundle");
    });

    test("the class's DNS records and ACME token with the cloudflare plugin: create, update in place, pause, destroy", async (t) => {
        if (!needsPlugins(t, ["cloudflare"])) return;
        const dnsDir = join(dir, "dns-and-token");
        mkdirSync(join(dnsDir, "state"), { recursive: true });
        writeFileSync(join(dnsDir, "Pulumi.yaml"), "name: jupyterhub-classroom\nruntime: nodejs\n");
        // A stand-in of its own: the rung tries the issued token on a call Cloudflare refuses it, which the
        // class rungs' stand-in would count as a problem.
        const api = await startCloudflare({ token: CF_TOKEN, zoneName: "example.edu" });
        const refusals: string[] = [];
        try {
            const stack = new Workspace(dnsDir, STACK, cliEnv(join(dnsDir, "state")), join(__dirname, "dnsAndToken.ts"));
            stack.pulumi(["stack", "init", STACK]);
            stack.pulumi(["config", "set", "cloudflare:baseUrl", api.baseUrl]);
            const set = (key: string, value: string) => stack.pulumi(["config", "set", `dnsAndTokenTest:${key}`], { input: value });
            set("hostname", HUB_HOST);
            set("ipv4", "203.0.113.10");
            set("ipv6", "2001:db8::10");
            const step = async (name: "preview" | "up" | "destroy", what: string) => {
                const report = await stack.operation(name);
                timings.push(`DNS and token, ${what}: ${report.seconds.toFixed(1)} s`);
                assert.equal(report.error, undefined, report.cliOutput);
                assert.deepEqual(api.problems, refusals, "the stand-in refused a request");
                return report;
            };
            /** The stand-in's records: type and name → content, and their ids. */
            const records = () => Object.fromEntries([...api.records.values()].map((r) => [`${r.type} ${r.name}`, r.content]));
            const recordIds = () => [...api.records.values()].map((r) => `${r.type} ${r.name} ${r.id}`).sort();

            const preview = await step("preview", "preview");
            assert.deepEqual(countByType(custom(preview.steps)), DNS_AND_TOKEN, preview.cliOutput);
            assert.deepEqual(custom(preview.steps).filter((s) => s.op !== "create"), []);
            assert.equal(api.records.size + api.tokens.size, 0, "a preview must not create anything");

            const up = await step("up", "up");
            assert.equal(up.outputs.zoneId, api.zoneId);
            assert.deepEqual(records(), {
                [`A ${HUB_HOST}`]: "203.0.113.10", [`AAAA ${HUB_HOST}`]: "2001:db8::10",
                [`A *.${HUB_HOST}`]: "203.0.113.10", [`AAAA *.${HUB_HOST}`]: "2001:db8::10",
            });
            assert.equal(up.outputs.acmeTokenValue, "[secret]", "the token's value must be a secret output");
            const [token, ...others] = api.tokens.values();
            assert.equal(others.length, 0, "one API token");
            assert.deepEqual(token.policies.map((p) => [p.effect, p.permission_groups.map((g) => g.id).sort(), p.resources]),
                [["allow", [DNS_WRITE, ZONE_READ].sort(), { [`com.cloudflare.api.account.zone.${api.zoneId}`]: "*" }]]);
            const tokenValue: string = JSON.parse(stack.pulumi(["stack", "output", "--json", "--show-secrets"]).stdout).acmeTokenValue;
            assert.equal(tokenValue, token.value);

            // What the ACME client does with it (lego's DNS-01 calls), and a call it may not make.
            const call = async (method: string, path: string, body?: unknown) => {
                const res = await fetch(`${api.baseUrl}${path}`, {
                    method, headers: { authorization: `Bearer ${tokenValue}`, ...(body ? { "content-type": "application/json" } : {}) },
                    body: body === undefined ? undefined : JSON.stringify(body),
                });
                return { status: res.status, body: await res.json() as { result: { id: string }[] & { id: string } } };
            };
            const zones = await call("GET", "/zones?name=example.edu");
            assert.equal(zones.status, 200);
            assert.deepEqual(zones.body.result.map((z) => z.id), [api.zoneId]);
            const challenge = await call("POST", `/zones/${api.zoneId}/dns_records`, { type: "TXT", name: `_acme-challenge.${HUB_HOST}`, content: "challenge", ttl: 120 });
            assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
            assert.equal((await call("DELETE", `/zones/${api.zoneId}/dns_records/${challenge.body.result.id}`)).status, 200);
            const tokenCreation = await call("POST", "/user/tokens", { name: "more", policies: [{ effect: "allow", permission_groups: [{ id: DNS_WRITE }], resources: { "com.cloudflare.api.account.zone.*": "*" } }] });
            assert.equal(tokenCreation.status, 403, JSON.stringify(tokenCreation.body));
            refusals.push(...api.problems.filter((p) => p.startsWith("POST /client/v4/user/tokens: token ")));
            assert.equal(refusals.length, 1, api.problems.join("\n"));
            assert.equal(api.tokens.size, 1);

            const again = await step("preview", "preview after up");
            assert.deepEqual(changes(again), {}, again.cliOutput);

            // A new address (a new Droplet): every address record is updated in place, the token stays.
            const before = recordIds();
            set("ipv4", "203.0.113.20");
            set("ipv6", "2001:db8::20");
            const moving = await step("preview", "preview of new addresses");
            assert.deepEqual(changes(moving), { "hub-a": ["update"], "hub-aaaa": ["update"], "hub-wildcard-a": ["update"], "hub-wildcard-aaaa": ["update"] }, moving.cliOutput);
            await step("up", "up with new addresses");
            assert.deepEqual(recordIds(), before, "the same records, by id");
            assert.deepEqual(Object.values(records()).sort(), ["2001:db8::20", "2001:db8::20", "203.0.113.20", "203.0.113.20"]);

            // Paused: no address, so the address records go and a TXT record keeps the name.
            stack.pulumi(["config", "rm", "dnsAndTokenTest:ipv4"]);
            const pausing = await step("preview", "preview of a pause");
            assert.deepEqual(changes(pausing), { "hub-a": ["delete"], "hub-aaaa": ["delete"], "hub-wildcard-a": ["delete"], "hub-wildcard-aaaa": ["delete"], "hub-txt": ["create"] }, pausing.cliOutput);
            await step("up", "up of a pause");
            assert.deepEqual(records(), { [`TXT ${HUB_HOST}`]: pausedNotice(STACK) });
            assert.deepEqual([...api.tokens.keys()], [token.id], "the same token");

            const destroy = await step("destroy", "destroy");
            assert.deepEqual(countByType(custom(destroy.steps).filter((s) => s.op === "delete")), {
                "cloudflare:index/apiToken:ApiToken": 1, "cloudflare:index/dnsRecord:DnsRecord": 1,
            });
            assert.equal(api.records.size, 0);
            assert.equal(api.tokens.size, 0);
            const state = stack.pulumi(["stack", "export"]).stdout;
            assert.ok(!stringsIn(JSON.parse(state)).some((s) => s.includes(tokenValue)), "the token's value is in the stack's state in clear");
        } finally {
            console.log(`\nCloudflare stand-in calls (DNS and token):\n  ${api.log.join("\n  ")}`);
            await api.close();
        }
    });
});

/** The Droplet's entry in the exported state, its secrets decrypted when asked. */
function dropletState(workspace: Workspace, showSecrets = false): { outputs: Record<string, unknown> } {
    const state = JSON.parse(workspace.pulumi(["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])]).stdout);
    const droplets = (state.deployment.resources ?? []).filter((r: { type: string }) => r.type === "digitalocean:index/droplet:Droplet");
    assert.equal(droplets.length, 1);
    return droplets[0];
}

/** The public half of an OpenSSH private key, as ssh-keygen derives it (without a comment). */
function publicKeyOf(privateKey: string, scratchDir: string): string {
    const file = join(scratchDir, "private-key");
    writeFileSync(file, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    try {
        return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).trim().split(" ").slice(0, 2).join(" ");
    } finally {
        rmSync(file);
    }
}

/** Every string anywhere in a JSON value: where a secret would show if stored in clear. */
function stringsIn(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (value === null || typeof value !== "object") return [];
    return Object.values(value).flatMap(stringsIn);
}

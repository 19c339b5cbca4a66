/**
 * The real Pulumi engine on the example class stack (Pulumi.dev.yaml), against local stand-ins of
 * the DigitalOcean and Cloudflare APIs: `npm run test:engine`, opt-in (docs/engine.md).
 *
 * Rungs that need a piece tools/engine/build.sh could not build are skipped with "BLOCKED" and the
 * command and error it recorded, never silently; the rungs that can run still do.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test, TestContext } from "node:test";
import { COOKIE_SECRET_BYTES, TRAEFIK_API_PASSWORD_LENGTH } from "../../lib/bundle";
import { CloudflareStandIn, startCloudflare } from "./standIns/cloudflare";
import { DigitalOceanStandIn, startDigitalOcean } from "./standIns/digitalocean";
import { LocalSshd, startSshd } from "./localSshd";
import { buildToolchain, engineEnv, Plugin, PLUGINS, pulumiVersion, REPO, Toolchain, Workspace } from "./toolchain";
import type { ResourceStep } from "./runOperation";

const STACK = "dev";
/** Pulumi.dev.yaml's secrets are encrypted with this passphrase (the file says so). */
const PASSPHRASE = "engr101-example";
const DO_TOKEN = "dop_v1_engine_test_token";
const CF_TOKEN = "engine-test-token-0123456789abcdefghijklmnopqrstuvwxyz";
/** What keysAndSecrets.ts declares: the class's generated keys and its own secrets. */
const KEYS_AND_SECRETS: Record<string, number> = {
    "random:index/randomPassword:RandomPassword": 2,
    "tls:index/privateKey:PrivateKey": 2,
};

const timings: string[] = [];
const custom = (steps: readonly ResourceStep[]) =>
    steps.filter((s) => !s.type.startsWith("pulumi:") && !s.type.startsWith("jupyterhub-classroom:"));
const countByType = (steps: readonly ResourceStep[]) =>
    Object.fromEntries([...new Set(steps.map((s) => s.type))].sort().map((t) => [t, steps.filter((s) => s.type === t).length]));

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

        digitalocean = await startDigitalOcean({ token: DO_TOKEN, dropletIpv4: "203.0.113.10" });
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
        /** Resource name → what the engine does to it, for those it changes. */
        const changes = (report: { steps: readonly ResourceStep[] }) => {
            const ops: Record<string, string[]> = {};
            for (const s of custom(report.steps).filter((s) => s.op !== "same")) (ops[s.urn.split("::").pop() ?? ""] ??= []).push(s.op);
            return ops;
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
});

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

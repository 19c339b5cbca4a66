import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { before, test } from "node:test";
import { applyBundleJson, classSettings } from "../lib/bundle";
import { parseClassConfig } from "../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../lib/config/stack";
import { HostKey, withHostKey } from "../lib/hostKey";
import { renderSyncDocument, renderUserData } from "../lib/userData";
import { openSshPublicKey } from "./support/pulumiMocks";

const root = resolve(__dirname, "..");
const devStack = join(root, "Pulumi.dev.yaml");
const devText = readFileSync(devStack, "utf8");
const scratch = mkdtempSync(join(tmpdir(), "render-"));
const mode = (path: string) => statSync(path).mode & 0o777;
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
/** The host key a render made, from its files. */
const renderedHostKey = (out: string): HostKey => ({
    privateKey: readFileSync(join(out, "ssh_host_ed25519_key"), "utf8"),
    publicKey: readFileSync(join(out, "ssh_host_ed25519_key.pub"), "utf8").trim(),
});

interface Run { status: number | null; stdout: string; stderr: string }

/** A command as a separate process, with only the environment given here. */
function run(file: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
    return new Promise((done) => {
        execFile(file, args, { cwd: options.cwd ?? root, env: { PATH: process.env.PATH, ...options.env } }, (err, stdout, stderr) =>
            done({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }));
    });
}
const render = (args: string[], env?: Record<string, string>) =>
    run(process.execPath, ["--import", "tsx", join(root, "bin/render.ts"), ...args], { env });

const planted = {
    CLASSROOM_OAUTH_CLIENT_SECRET: "planted-oauth-7a",
    CLASSROOM_COOKIE_SECRET: "ab".repeat(32),
    CLASSROOM_TRAEFIK_API_PASSWORD: "plantedTraefik7b",
    CLASSROOM_COURSE_REPO_TOKEN: "planted-token-7c",
    CLASSROOM_CLOUDFLARE_DNS_TOKEN: "planted-cloudflare-7d",
};
const publicKey = openSshPublicKey("stack");
const dir = (name: string) => join(scratch, name);
let runs: Record<"example" | "fromEnv" | "bad" | "usage" | "npm", Run>;

// Every scenario is its own process and independent of the others, so they run side by side.
before(async () => {
    writeFileSync(dir("stack.pub"), `${publicKey}\n`);
    mkdirSync(dir("example"));
    writeFileSync(dir("example/secrets.json"), "{}", { mode: 0o644 });
    writeFileSync(dir("Pulumi.private.yaml"), `${devText}  jupyterhub-classroom:courseRepoToken:\n    secure: v1:AAAA:BBBB\n`);
    writeFileSync(dir("Pulumi.bad.yaml"), devText.replace("adminUser: instructor", "adminUser: root").replace("memoryLimit: 2G", "memoryLimit: 2GB"));
    mkdirSync(dir("caller"));
    const [example, fromEnv, bad, usage, npm] = await Promise.all([
        render(["--config", dir("Pulumi.private.yaml"), "--out", dir("example"), "--ssh-public-key", dir("stack.pub")]),
        render(["--config", dir("Pulumi.private.yaml"), "--out", dir("fromEnv")], planted),
        render(["--config", dir("Pulumi.bad.yaml"), "--out", dir("bad")]),
        render(["--config", devStack]),
        run("npm", ["run", "--silent", "--prefix", root, "render", "--", "--config", relative(dir("caller"), devStack), "--out", "rendered"], { cwd: dir("caller") }),
    ]);
    runs = { example, fromEnv, bad, usage, npm };
});

test("renders a class: user-data, class settings, secrets and the apply bundle", () => {
    assert.equal(runs.example.status, 0, runs.example.stderr);
    const out = dir("example");
    const cfg = parseClassConfig(rawClassConfigFromStackFile(readFileSync(dir("Pulumi.private.yaml"), "utf8")));
    assert.equal(cfg.hostname, "engr101.example.edu");
    const hostKey = renderedHostKey(out);
    assert.equal(readFileSync(join(out, "user-data"), "utf8"), withHostKey(renderUserData(cfg, [publicKey]), hostKey));
    assert.equal(readFileSync(join(out, "sync-document"), "utf8"), renderSyncDocument(cfg, [publicKey]));
    const settings = readJson(join(out, "class.json"));
    assert.deepEqual(settings, classSettings(cfg));
    assert.ok(settings.auth.allowedUsers.includes("ada-lovelace"));

    const secrets = readJson(join(out, "secrets.json"));
    // Placeholders for the secrets an instructor sets, fresh values for the generated ones.
    assert.equal(secrets.oauthClientSecret, "<set CLASSROOM_OAUTH_CLIENT_SECRET>");
    assert.equal(secrets.courseRepoToken, "<set CLASSROOM_COURSE_REPO_TOKEN>");
    assert.match(secrets.cookieSecret, /^[0-9a-f]{64}$/);
    assert.match(secrets.traefikApiPassword, /^[A-Za-z0-9]{32}$/);
    const another = readJson(join(dir("caller"), "rendered", "secrets.json"));
    assert.notEqual(another.cookieSecret, secrets.cookieSecret);
    assert.notEqual(another.traefikApiPassword, secrets.traefikApiPassword);
    assert.equal(readFileSync(join(out, "apply-bundle.json"), "utf8"), applyBundleJson(classSettings(cfg), secrets));
    // secrets.json was there before, world-readable: it is private now, like the others.
    for (const file of ["class.json", "secrets.json", "apply-bundle.json", "user-data", "ssh_host_ed25519_key"]) {
        assert.equal(mode(join(out, file)), 0o600, file);
    }
});

test("each render makes its own host key, a real ED25519 key whose public half is the one written beside it", async () => {
    const out = dir("example");
    const hostKey = renderedHostKey(out);
    assert.match(hostKey.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/);
    // OpenSSH itself reads the private key and derives the same public key.
    const derived = await run("ssh-keygen", ["-y", "-f", join(out, "ssh_host_ed25519_key")]);
    assert.equal(derived.status, 0, derived.stderr);
    assert.equal(derived.stdout.split(" ").slice(0, 2).join(" "), hostKey.publicKey);
    assert.notEqual(renderedHostKey(dir("fromEnv")).publicKey, hostKey.publicKey);
    assert.notEqual(renderedHostKey(join(dir("caller"), "rendered")).privateKey, hostKey.privateKey);
});

test("secrets come from the environment and never reach user-data", () => {
    assert.equal(runs.fromEnv.status, 0, runs.fromEnv.stderr);
    assert.deepEqual(readJson(join(dir("fromEnv"), "secrets.json")), {
        oauthClientSecret: planted.CLASSROOM_OAUTH_CLIENT_SECRET,
        cookieSecret: planted.CLASSROOM_COOKIE_SECRET,
        traefikApiPassword: planted.CLASSROOM_TRAEFIK_API_PASSWORD,
        courseRepoToken: planted.CLASSROOM_COURSE_REPO_TOKEN,
        // perStudentOrigins is on by default: the token HubAcmeToken would create.
        cloudflareDnsToken: planted.CLASSROOM_CLOUDFLARE_DNS_TOKEN,
    });
    const userData = readFileSync(join(dir("fromEnv"), "user-data"), "utf8");
    for (const secret of Object.values(planted)) assert.ok(!userData.includes(secret));
    assert.ok(userData.includes(renderedHostKey(dir("fromEnv")).privateKey.split("\n")[1]), "the host key is user-data's one secret");
});

test("a bad class fails with every problem, naming the key and the fix, and writes nothing", () => {
    assert.equal(runs.bad.status, 1);
    assert.match(runs.bad.stderr, /The class config has 2 problems:/);
    assert.match(runs.bad.stderr, /adminUser: got "root"; expected a name that is not root.*Fix: pulumi config set adminUser instructor/);
    assert.match(runs.bad.stderr, /memoryLimit: got "2GB"; expected a size such as 512M or 2G/);
    assert.ok(!existsSync(dir("bad")));
});

test("a usage mistake exits 2 with the usage line", () => {
    assert.equal(runs.usage.status, 2);
    assert.match(runs.usage.stderr, /usage: npm run render -- --config Pulumi.<class>.yaml --out DIR/);
});

test("`npm run render` renders Pulumi.dev.yaml, with paths from where it was called", () => {
    assert.equal(runs.npm.status, 0, runs.npm.stderr);
    const cfg = parseClassConfig(rawClassConfigFromStackFile(devText));
    assert.deepEqual(readJson(join(dir("caller"), "rendered", "class.json")), classSettings(cfg));
    const rendered = join(dir("caller"), "rendered");
    assert.equal(readFileSync(join(rendered, "user-data"), "utf8"), withHostKey(renderUserData(cfg, []), renderedHostKey(rendered)));
    assert.match(runs.npm.stderr, /no --ssh-public-key/);
});

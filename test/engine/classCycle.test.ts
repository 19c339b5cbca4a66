/**
 * The whole class under the real Pulumi engine, against a local cloud (localServer/localCloud.ts):
 * the e2e test's class (test/e2e/Pulumi.e2e.yaml), whose Droplet is the local server booted from the
 * user-data the engine sent, configured by the stack's own SSH steps over real SSH.
 * `npm run test:engine`, opt-in (docs/engine.md); root, as the e2e test.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { volumeName } from "../../components/hubServer";
import { PROJECT_DIR, SERVER_ETC } from "../../lib/server";
import { HubClient } from "../../localServer/hubClient";
import { request, servedCertificate, Target } from "../../localServer/https-client";
import { LocalCloud, stackArchives } from "../../localServer/localCloud";
import { e2eClassServer, STACK, USERS } from "../e2e/e2eClass";
import type { OperationReport } from "./runOperation";
import { changes, custom } from "./steps";
import { buildToolchain, Toolchain } from "./toolchain";

const timings: string[] = [];

describe("a class under the real Pulumi engine, on a local cloud whose Droplet is a booted server", () => {
    let toolchain: Toolchain;
    let cloud: LocalCloud | undefined;
    const server = e2eClassServer();
    const workDir = mkdtempSync(join(tmpdir(), "jhc-engine-class-"));
    const archivesBefore = stackArchives(STACK);
    let target: Target;

    const operation = async (name: "preview" | "up" | "destroy", what: string): Promise<OperationReport & { cliOutput: string }> => {
        const report = await cloud!.workspace.operation(name);
        timings.push(`${what}: ${report.seconds.toFixed(1)} s`);
        assert.equal(report.error, undefined, `${report.cliOutput}\n${report.error ? await server.diagnostics(["jupyterhub.service", "traefik.service"]) : ""}`);
        assert.deepEqual(cloud!.problems(), [], "a stand-in refused a request");
        return report;
    };
    const onlyDroplet = () => {
        assert.equal(cloud!.digitalocean.droplets.size, 1);
        return [...cloud!.digitalocean.droplets.keys()][0];
    };
    /** The class settings the stack's SSH steps delivered, as the server keeps them. */
    const classSettingsOnServer = () => server.guest.check(["cat", `${SERVER_ETC}/class.json`]);
    const serverPid = async (user: string) =>
        (await server.guest.check(["systemctl", "show", "-p", "MainPID", "--value", `jupyter-${user}-singleuser`])).trim();

    before(async () => {
        toolchain = buildToolchain();
        timings.push(`build (tools/engine/build.sh): ${toolchain.buildSeconds.toFixed(1)} s`);
        assert.deepEqual(toolchain.missingPlugins, [], `plugins tools/engine/build.sh could not build:\n${[...toolchain.blocked.values()].join("\n")}`);
        const started = Date.now();
        cloud = await LocalCloud.start({ server, stack: STACK, toolchain, workDir });
        timings.push(`the local cloud (network, ACME CA, identity provider, course, stand-ins): ${((Date.now() - started) / 1000).toFixed(1)} s`);
        target = { address: server.network.guestAddress, ca: server.issuingRoot, hostname: server.hostname };
    });

    after(async () => {
        console.log(`\nTimings:\n  ${timings.join("\n  ")}\n${server.timings.report()}`);
        if (cloud) console.log(`\nDigitalOcean stand-in calls:\n  ${cloud.digitalocean.log.join("\n  ")}\n\nCloudflare stand-in calls:\n  ${cloud.cloudflare.log.join("\n  ")}`);
        await (cloud ? cloud.stop() : server.stop());
        rmSync(workDir, { recursive: true, force: true });
    });

    test("`pulumi preview` plans the class, each resource a create, and creates nothing", async () => {
        const preview = await operation("preview", "preview");
        const planned = custom(preview.steps);
        assert.ok(planned.length > 0);
        assert.deepEqual(planned.filter((s) => s.op !== "create"), [], preview.cliOutput);
        for (const type of ["digitalocean:index/droplet:Droplet", "digitalocean:index/volume:Volume", "cloudflare:index/dnsRecord:DnsRecord", "command:remote:Command"]) {
            assert.ok(planned.some((s) => s.type === type), `no ${type} planned:\n${preview.cliOutput}`);
        }
        assert.equal(cloud!.digitalocean.droplets.size, 0);
        assert.equal(cloud!.digitalocean.volumes.size, 0);
        assert.equal(cloud!.cloudflare.records.size, 0);
    });

    test("`pulumi up` creates the class: the Droplet boots from its user-data, the SSH steps configure it, the health check passes, the hub answers over HTTPS", async () => {
        const up = await operation("up", "up (boot, install, settings, health check)");
        assert.ok(custom(up.steps).every((s) => s.op === "create"), up.cliOutput);
        const droplet = cloud!.digitalocean.droplets.get(onlyDroplet())!;
        assert.equal(droplet.status, "active");
        assert.deepEqual([...cloud!.digitalocean.volumes.values()].map((v) => [v.name, v.droplet_ids]), [[volumeName("jupyterhub-classroom", STACK), [droplet.id]]]);
        assert.ok([...cloud!.cloudflare.records.values()].some((r) => r.type === "A" && r.name === server.hostname && r.content === server.network.guestAddress));
        assert.equal(up.outputs.hubUrl, `${server.hubUrl}/`);
        server.pinHostKey(String(up.outputs.sshHostKey));

        const served = await servedCertificate(target);
        assert.ok(served.trusted, `the served certificate does not verify against the local CA: ${served.verifyError}`);
        assert.equal((await request(target, `${server.hubUrl}/hub/health`)).status, 200);
        // The stack's own SSH steps ran: the settings the server has are the stack's.
        const settings = await classSettingsOnServer();
        assert.match(settings, /alice/);
        assert.doesNotMatch(settings, /carol/);
    });

    test("`pulumi stack export` holds no secret in clear", async () => {
        const state = cloud!.workspace.pulumi(["stack", "export"]).stdout;
        const secrets = JSON.parse(await server.guest.check(["cat", "/etc/jupyterhub-classroom/secrets.json"])) as Record<string, unknown>;
        const values = Object.entries(secrets).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1].length >= 8);
        assert.ok(values.length >= 3, `secrets.json: ${Object.keys(secrets).join(", ")}`);
        for (const [name, value] of values) assert.ok(!state.includes(value), `${name} is in the stack's state in clear`);
        const hostKey = await server.guest.check(["cat", "/etc/ssh/ssh_host_ed25519_key"]);
        const keyBody = (key: string) => key.split("\n").filter((l) => l && !l.startsWith("-----"))[1];
        assert.ok(!state.includes(keyBody(hostKey)), "the host's private key is in the stack's state in clear");
        assert.ok(!state.includes(keyBody(server.sshPrivateKey)), "the login's private key is in the stack's state in clear");
    });

    test("a second `pulumi preview` has no changes", async () => {
        assert.deepEqual(changes(await operation("preview", "preview after up")), {});
    });

    test("a roster change: `pulumi up` changes only the settings step and the health check; the same Droplet, running servers kept", async () => {
        const client = new HubClient(target, server.hubUrl);
        await client.logIn(USERS.alice);
        // The hub knows students by their e-mail's local part (test/e2e/e2eClass.ts).
        await client.startServer(USERS.alice.login);
        await client.waitUntilReady(USERS.alice.login);
        const pid = await serverPid(USERS.alice.login);
        const dropletId = onlyDroplet();

        cloud!.setConfig("allowedUsers[2]", USERS.carol.email, true);
        const preview = await operation("preview", "preview of a roster change");
        assert.deepEqual(Object.keys(changes(preview)).sort(), ["hub-apply", "hub-check"], preview.cliOutput);
        const up = await operation("up", "up of a roster change");
        assert.deepEqual(Object.keys(changes(up)).sort(), ["hub-apply", "hub-check"], up.cliOutput);
        assert.equal(onlyDroplet(), dropletId);
        assert.equal(await serverPid(USERS.alice.login), pid, "alice's running server was restarted");
        assert.match(await classSettingsOnServer(), /carol/);
    });

    test("an adminUser change: `pulumi preview` shows the Droplet replaced and the volume kept", async () => {
        cloud!.setConfig("adminUser", "teacher");
        try {
            const preview = await operation("preview", "preview of an adminUser change");
            const changed = changes(preview);
            assert.ok(changed["hub-droplet"]?.includes("delete-replaced") || changed["hub-droplet"]?.includes("replace"), preview.cliOutput);
            assert.equal(changed["hub-homes"], undefined, "the students' volume must stay");
        } finally {
            cloud!.setConfig("adminUser", server.adminUser);
        }
    });

    test("`pulumi destroy` archives the homes before the Droplet's delete call, keeps the volume and leaves nothing else", async () => {
        const destroy = await operation("destroy", "destroy (archive, then delete)");
        assert.ok(custom(destroy.steps).length > 0);
        const [deletion] = cloud!.deletions;
        assert.equal(cloud!.deletions.length, 1);
        const archived = deletion.archives.filter((name) => !archivesBefore.includes(name));
        assert.equal(archived.length, 1, `no new archive in ${PROJECT_DIR}/archives when the Droplet's delete call came`);
        assert.ok(statSync(join(PROJECT_DIR, "archives", archived[0])).mtimeMs <= deletion.at);
        rmSync(join(PROJECT_DIR, "archives", archived[0]));

        const { digitalocean, cloudflare } = cloud!;
        assert.equal(digitalocean.droplets.size, 0);
        assert.equal(digitalocean.firewalls.size, 0);
        assert.equal(digitalocean.sshKeys.size, 0);
        assert.equal(cloudflare.records.size, 0);
        assert.equal(cloudflare.tokens.size, 0);
        assert.deepEqual([...digitalocean.volumes.values()].map((v) => [v.name, v.droplet_ids]), [[volumeName("jupyterhub-classroom", STACK), []]]);
        // As in a DigitalOcean account: the tags the kept volume carries stay; the firewall's went with it.
        assert.deepEqual([...digitalocean.tags].sort(), [...digitalocean.volumes.values()][0].tags.sort());
        assert.deepEqual(JSON.parse(cloud!.workspace.pulumi(["stack", "export"]).stdout).deployment.resources ?? [], []);
    });
});

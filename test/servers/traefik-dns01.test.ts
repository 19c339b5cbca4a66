import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { connect, PeerCertificate } from "node:tls";
import { parse, stringify } from "yaml";
import { renderUserData } from "../../lib/userData";
import { Dns01World, startDns01World } from "../support/dns01World";
import { Daemon, startDaemon, waitFor } from "../../localServer/process";
import { freePort, PROJECT, providerConfig, requireTools, temporaryDirectory, writeFiles } from "../support/server";
import { startLocalPebble } from "../support/pebble";

const ZONE = "example.edu";
const HOSTNAME = `engr101.${ZONE}`;
const TRAEFIK = join(PROJECT, ".venv", "bin", "traefik");

/**
 * perStudentOrigins' certificate: the real Traefik with the static config from the user-data gets
 * one certificate for the hub and *.<hostname> from a local pebble through DNS-01, creating the
 * challenge records with Cloudflare's API (the strict stand-in, through lego's CLOUDFLARE_BASE_URL)
 * and the token classroom-apply puts in its environment. The test changes only listen addresses,
 * the ACME directory and the resolvers lego asks (the zone's stand-in in place of 1.1.1.1).
 */
let dir: string;
let world: Dns01World;
const token = randomBytes(30).toString("base64url");
let websecure: number;
let pebbleRoot: string;
const daemons: Daemon[] = [];

before(async () => {
    await requireTools({ pebble: "pebble", "pebble-challtestsrv": "pebble", openssl: "openssl" });
    dir = temporaryDirectory("traefik-dns01");
    const [web, api, acme, acmeManagement, dns, dnsManagement, zoneDns] = await Promise.all(Array.from({ length: 7 }, freePort));
    websecure = await freePort();
    const pebble = await startLocalPebble(dir, { web, websecure, acme, acmeManagement, dns, dnsManagement }, daemons, "");
    pebbleRoot = pebble.issuingRoot;
    world = await startDns01World({ host: "127.0.0.1", dnsPort: zoneDns, zone: ZONE, challtestsrv: `http://127.0.0.1:${dnsManagement}`, token });

    const cfg = providerConfig("github", { acmeDirectoryUrl: `https://127.0.0.1:${acme}/dir`, perStudentOrigins: true });
    const files = writeFiles(renderUserData(cfg, []));
    const staticConfig = parse(files.find((f) => f.path === "/etc/traefik/traefik.yaml")!.content.toString());
    staticConfig.entryPoints.web.address = `127.0.0.1:${web}`;
    staticConfig.entryPoints.websecure.address = `127.0.0.1:${websecure}`;
    staticConfig.entryPoints.traefik.address = `127.0.0.1:${api}`;
    staticConfig.certificatesResolvers.letsencrypt.acme.storage = join(dir, "acme.json");
    staticConfig.certificatesResolvers.letsencrypt.acme.dnsChallenge.resolvers = [`127.0.0.1:${zoneDns}`];
    staticConfig.providers.file.directory = join(dir, "rules");
    mkdirSync(join(dir, "rules"));
    writeFileSync(join(dir, "rules", "defaults.yaml"), files.find((f) => f.path.endsWith("/traefik-rules/defaults.yaml"))!.content);
    writeFileSync(join(dir, "traefik.yaml"), stringify(staticConfig));
    daemons.push(startDaemon(TRAEFIK, [`--configFile=${join(dir, "traefik.yaml")}`], join(dir, "traefik.log"), {
        ...process.env,
        LEGO_CA_CERTIFICATES: pebble.apiCertificate,
        // What classroom-apply writes to traefik-acme.env.
        CLOUDFLARE_DNS_API_TOKEN: token,
        CLOUDFLARE_BASE_URL: world.cloudflare.baseUrl,
    }));
});

after(async () => {
    for (const d of daemons.reverse()) await d.stop();
    await world?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

test("one certificate for the hub and every student's host, through DNS-01 with Cloudflare's API", { timeout: 180_000 }, async () => {
    const served = await waitFor("a certificate issued by pebble", 150_000, async () => {
        const peer = await servedCertificate(`alice.${HOSTNAME}`);
        return peer.subject?.CN === "TRAEFIK DEFAULT CERT" ? undefined : peer;
    }, 1000).catch((err: Error) => {
        throw new Error(`${err.message}\n--- traefik.log\n${readFileSync(join(dir, "traefik.log"), "utf8").slice(-4000)}\n--- Cloudflare\n${world.cloudflare.log.join("\n")}`);
    });
    assert.ok(served.authorized, "the certificate does not chain to pebble's root");
    assert.deepEqual(served.subjectaltname?.split(", ").sort(), [`DNS:*.${HOSTNAME}`, `DNS:${HOSTNAME}`]);
    for (const name of [HOSTNAME, `bob.${HOSTNAME}`]) {
        assert.equal((await servedCertificate(name)).fingerprint256, served.fingerprint256, name);
    }
    // Only calls the real API knows, with the token; the challenge records are gone afterwards.
    assert.deepEqual(world.cloudflare.problems, []);
    const calls = world.cloudflare.log.map((line) => line.replace(/[0-9a-f]{32}/g, "<id>"));
    assert.ok(calls.includes(`GET /client/v4/zones?name=${ZONE}&per_page=50 -> 200`), calls.join("\n"));
    assert.equal(calls.filter((c) => c === "POST /client/v4/zones/<id>/dns_records -> 200").length, 2, calls.join("\n"));
    await waitFor("the challenge records to be deleted", 30_000, async () => (world.cloudflare.records.size === 0 ? true : undefined), 500);
    assert.ok(world.dns.log.includes(`${ZONE} SOA -> NOERROR 1`), world.dns.log.join("\n"));
});

test("with perStudentOrigins Traefik answers the hub's host and one label below it; every other Host is refused", { timeout: 180_000 }, async () => {
    await waitFor("a certificate issued by pebble", 150_000, async () => ((await servedCertificate(HOSTNAME)).authorized ? true : undefined), 1000);
    // No hub runs here: a host the class answers reaches the boot route, which answers 502.
    for (const host of [HOSTNAME, `alice.${HOSTNAME}`, `u-adalovel--3f2a1b0.${HOSTNAME}`]) {
        assert.equal(await status(host), 502, host);
    }
    for (const host of ["other.example.org", `a.b.${HOSTNAME}`, `alice.${HOSTNAME}.evil.example`, `alicexengr101.${ZONE}`, `alice_x.${HOSTNAME}`]) {
        assert.equal(await status(host), 403, host);
    }
});

/** The status of GET / with this Host header, over TLS for a student's host (which the certificate covers). */
function status(host: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: websecure, path: "/", servername: `alice.${HOSTNAME}`, ca: pebbleRoot, headers: { host }, timeout: 10_000 }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`GET / for ${host} timed out`)));
        req.end();
    });
}

function servedCertificate(servername: string): Promise<PeerCertificate & { authorized: boolean }> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port: websecure, servername, ca: pebbleRoot, rejectUnauthorized: false }, () => {
            const peer = socket.getPeerCertificate();
            socket.end();
            resolve({ ...peer, authorized: socket.authorized });
        });
        socket.on("error", reject);
    });
}

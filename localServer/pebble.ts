import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { check, Daemon, startDaemon, waitFor } from "./process";

/**
 * The ACME CA: pebble, with pebble-challtestsrv as the DNS it asks, so that the class hostname
 * resolves to the guest and pebble validates HTTP-01 against the guest's port 80 for real.
 * Pebble's own HTTPS listener gets a certificate from a throwaway CA that the guest's Traefik is
 * told to trust (as the world trusts Let's Encrypt's API); the certificates pebble issues chain
 * to a root it makes up at start, read from its management API.
 */
export interface Pebble {
    readonly directoryUrl: string;
    /** The CA that signed pebble's API listener certificate (PEM), for the ACME client to trust. */
    readonly apiCaFile: string;
    /** pebble-challtestsrv's management API: the DNS the CA asks, where DNS-01 records are published. */
    readonly challtestsrvUrl: string;
    /** The root that pebble's issued certificates chain to (PEM). */
    issuingRoot(): Promise<string>;
    issuingIntermediate(): Promise<string>;
    stop(): Promise<void>;
}

const ACME_PORT = 14000;
const ACME_MANAGEMENT_PORT = 15000;
const DNS_PORT = 8053;
const DNS_MANAGEMENT_PORT = 8055;

/** `dir` gets the keys and config (private), `logDir` the two servers' logs. */
export async function startPebble(dir: string, logDir: string, host: string, hostnames: Readonly<Record<string, string>>): Promise<Pebble> {
    const apiCaFile = join(dir, "pebble-api-ca.pem");
    await makeListenerCertificate(dir, host);
    const config = join(dir, "pebble-config.json");
    writeFileSync(config, JSON.stringify({
        pebble: {
            listenAddress: `${host}:${ACME_PORT}`,
            managementListenAddress: `${host}:${ACME_MANAGEMENT_PORT}`,
            certificate: join(dir, "pebble-api.pem"),
            privateKey: join(dir, "pebble-api-key.pem"),
            // Validate challenges on the standard ports, as Let's Encrypt does.
            httpPort: 80,
            tlsPort: 443,
            ocspResponderURL: "",
            externalAccountBindingRequired: false,
        },
    }, null, 2));

    const daemons: Daemon[] = [];
    const stop = async () => { for (const d of daemons.reverse()) await d.stop(); };
    try {
        daemons.push(startDaemon("pebble-challtestsrv", [
            "-dns01", `${host}:${DNS_PORT}`,
            "-management", `${host}:${DNS_MANAGEMENT_PORT}`,
            "-http01", "", "-https01", "", "-tlsalpn01", "",
            // Names the test did not add must not silently resolve to this host.
            "-defaultIPv4", "", "-defaultIPv6", "",
        ], join(logDir, "challtestsrv.log")));
        for (const [name, address] of Object.entries(hostnames)) {
            await waitFor(`pebble-challtestsrv to map ${name}`, 15_000, async () => {
                const res = await fetch(`http://${host}:${DNS_MANAGEMENT_PORT}/add-a`, {
                    method: "POST",
                    body: JSON.stringify({ host: name, addresses: [address] }),
                });
                return res.ok ? true : undefined;
            }, 200);
        }
        daemons.push(startDaemon("pebble", ["-config", config, "-dnsserver", `${host}:${DNS_PORT}`], join(logDir, "pebble.log"), {
            ...process.env,
            // No artificial sleeps before validation, and no rejected nonces: the test is about our
            // server, not about the ACME client's retries.
            PEBBLE_VA_NOSLEEP: "1",
            PEBBLE_WFE_NONCEREJECT: "0",
        }));
        const ca = readFileSync(apiCaFile);
        const directoryUrl = `https://${host}:${ACME_PORT}/dir`;
        await waitFor("pebble's ACME directory", 15_000, () => get(directoryUrl, ca).then(() => true), 200);
        return {
            directoryUrl,
            apiCaFile,
            challtestsrvUrl: `http://${host}:${DNS_MANAGEMENT_PORT}`,
            issuingRoot: () => get(`https://${host}:${ACME_MANAGEMENT_PORT}/roots/0`, ca),
            issuingIntermediate: () => get(`https://${host}:${ACME_MANAGEMENT_PORT}/intermediates/0`, ca),
            stop,
        };
    } catch (err) {
        await stop();
        throw err;
    }
}

async function makeListenerCertificate(dir: string, host: string): Promise<void> {
    const path = (name: string) => join(dir, name);
    await check("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", path("pebble-api-ca-key.pem"), "-out", path("pebble-api-ca.pem"), "-days", "2",
        "-subj", "/CN=jupyterhub-classroom e2e ACME API CA"]);
    await check("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", path("pebble-api-key.pem"), "-out", path("pebble-api.csr"), "-subj", `/CN=${host}`]);
    writeFileSync(path("pebble-api.ext"), `subjectAltName=IP:${host}\nextendedKeyUsage=serverAuth\n`);
    await check("openssl", ["x509", "-req", "-in", path("pebble-api.csr"), "-CA", path("pebble-api-ca.pem"),
        "-CAkey", path("pebble-api-ca-key.pem"), "-CAcreateserial", "-days", "2",
        "-extfile", path("pebble-api.ext"), "-out", path("pebble-api.pem")]);
}

function get(url: string, ca: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = request(url, { ca, timeout: 5000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => res.statusCode === 200
                ? resolve(Buffer.concat(chunks).toString())
                : reject(new Error(`${url} answered ${res.statusCode}`)));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`${url} timed out`)));
        req.end();
    });
}

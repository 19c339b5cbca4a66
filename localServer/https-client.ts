import { createHash, X509Certificate } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest, RequestOptions as HttpsRequestOptions } from "node:https";
import { connect, PeerCertificate } from "node:tls";

/** Where the class hostname points: the guest, as DNS would send a browser to the Droplet. */
export interface Target {
    readonly hostname: string;
    readonly address: string;
    /** Roots to trust for https (pebble's issuing root). */
    readonly ca?: string;
}

export interface Response {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly body: string;
}

export interface RequestOptions {
    readonly method?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
    readonly timeoutMs?: number;
}

/** `url`, parsed, once it is known to be on the class hostname. */
function onTarget(target: Target, url: string): URL {
    const parsed = new URL(url);
    if (parsed.hostname !== target.hostname) throw new Error(`${url} is not on ${target.hostname}`);
    return parsed;
}

/** The request options that send a request for the class hostname to the guest, trusting `target.ca`. */
function toGuest(target: Target): Pick<HttpsRequestOptions, "ca" | "servername" | "agent" | "lookup"> {
    return {
        ca: target.ca,
        servername: target.hostname,
        agent: false,
        lookup: (_host, _opts, callback) => callback(null, [{ address: target.address, family: 4 }] as never, 4),
    };
}

/** One HTTP(S) request to `url` on the class hostname, sent to the guest; redirects are not followed. */
export function request(target: Target, url: string, options: RequestOptions = {}): Promise<Response> {
    const send = onTarget(target, url).protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
        const req = send(url, {
            ...toGuest(target),
            method: options.method ?? "GET",
            headers: options.headers,
            timeout: options.timeoutMs ?? 15_000,
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`${options.method ?? "GET"} ${url}: no answer in time`)));
        req.end(options.body);
    });
}

/**
 * Follows a server-sent event stream on the class hostname, as a browser's EventSource does: calls
 * `onEvent` with each event's data until it returns true (resolves) or the stream ends (rejects).
 */
export function followEvents(target: Target, url: string, headers: Record<string, string>, onEvent: (data: string) => boolean): Promise<void> {
    onTarget(target, url);
    return new Promise((resolve, reject) => {
        const req = httpsRequest(url, {
            ...toGuest(target),
            headers: { ...headers, accept: "text/event-stream" },
            // The hub sends a keepalive comment every few seconds: this long without a byte is a dead stream.
            timeout: 120_000,
        }, (res) => {
            if (res.statusCode !== 200) {
                res.resume();
                req.destroy();
                reject(new Error(`GET ${url}: ${res.statusCode}`));
                return;
            }
            let buffered = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
                buffered += chunk;
                let end: number;
                while ((end = buffered.indexOf("\n\n")) >= 0) {
                    const event = buffered.slice(0, end);
                    buffered = buffered.slice(end + 2);
                    const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n");
                    if (data && onEvent(data)) {
                        req.destroy();
                        resolve();
                        return;
                    }
                }
            });
            res.on("end", () => reject(new Error(`GET ${url}: the stream ended first`)));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`GET ${url}: no event in time`)));
        req.end();
    });
}

export interface ServedCertificate {
    /** Whether the chain the server sent verifies against `target.ca` for the hostname. */
    readonly trusted: boolean;
    readonly verifyError: string | undefined;
    readonly subject: string;
    readonly issuer: string;
    readonly subjectAltName: string;
    /** base64 SHA-256 of the leaf's public key, as Chromium's --ignore-certificate-errors-spki-list wants it. */
    readonly spkiSha256: string;
}

/** The certificate the guest serves for the class hostname on port 443. */
export function servedCertificate(target: Target): Promise<ServedCertificate> {
    return new Promise((resolve, reject) => {
        const socket = connect({
            host: target.address, port: 443, servername: target.hostname, ca: target.ca, rejectUnauthorized: false, timeout: 10_000,
        }, () => {
            const peer: PeerCertificate = socket.getPeerCertificate();
            const leaf = new X509Certificate(peer.raw);
            const spki = leaf.publicKey.export({ type: "spki", format: "der" });
            resolve({
                trusted: socket.authorized,
                verifyError: socket.authorizationError ? String(socket.authorizationError) : undefined,
                subject: leaf.subject,
                issuer: leaf.issuer,
                subjectAltName: leaf.subjectAltName ?? "",
                spkiSha256: createHash("sha256").update(spki).digest("base64"),
            });
            socket.end();
        });
        socket.on("error", reject);
        socket.on("timeout", () => socket.destroy(new Error(`TLS to ${target.address}:443 timed out`)));
    });
}

/** The TLS version of a handshake with the guest's port 443 naming `servername` (none: no SNI), or undefined when it fails. */
export function tlsHandshake(target: Target, servername: string | undefined): Promise<string | undefined> {
    return new Promise((resolve) => {
        const socket = connect({ host: target.address, port: 443, servername, ca: target.ca, rejectUnauthorized: false, timeout: 10_000 }, () => {
            const version = socket.getProtocol() ?? undefined;
            socket.end();
            resolve(version);
        });
        socket.on("error", () => resolve(undefined));
        socket.on("timeout", () => socket.destroy(new Error("timed out")));
    });
}

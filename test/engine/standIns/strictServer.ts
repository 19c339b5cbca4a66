/**
 * A small HTTP server on loopback for the API stand-ins. It is strict on purpose: a call it does
 * not know, or a body with a field it does not know, is answered 4xx and recorded as a problem, so
 * a wrong request from a real provider cannot pass unnoticed even if the provider retries or
 * ignores the error. Every request is logged for the test's report.
 */
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { z } from "zod";

export interface Reply {
    readonly status: number;
    readonly body?: unknown;
}

export interface Request {
    readonly params: readonly string[];
    readonly query: URLSearchParams;
    readonly body: unknown;
}

export interface Route {
    readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
    /** Matched against the whole path; capture groups become `params`. */
    readonly path: RegExp;
    /** Request bodies are parsed with this schema (use .strict() objects); none means no body. */
    readonly body?: z.ZodTypeAny;
    /** Query parameters the route accepts; any other one is a problem. */
    readonly query?: readonly string[];
    readonly handle: (request: Request) => Reply | Promise<Reply>;
}

/** An error reply the route chose to give: a problem, unlike a 404 for a deleted resource. */
export class ApiError extends Error {
    constructor(readonly status: number, message: string) { super(message); }
}

export interface StrictServer {
    readonly url: string;
    /** One line per request: `METHOD path -> status`. */
    readonly log: string[];
    /** Requests the stand-in refused as wrong: unknown calls, unknown fields, invalid values. */
    readonly problems: string[];
    close(): Promise<void>;
}

export interface StrictServerOptions {
    /** Names the API in error messages. */
    readonly name: string;
    readonly routes: readonly Route[];
    /**
     * The Authorization header every call must carry; or, for an API whose credentials differ in what
     * they may do, a check of each call that returns its refusal (401 or 403), or undefined to let it through.
     */
    readonly authorization: string | ((header: string | undefined, method: string, path: string) => ApiError | undefined);
    /** The API's error envelope. */
    readonly errorBody: (status: number, message: string) => unknown;
    /** The address to listen on. Default: 127.0.0.1. */
    readonly host?: string;
}

export async function startStrictServer(options: StrictServerOptions): Promise<StrictServer> {
    const { name, routes, errorBody } = options;
    const log: string[] = [];
    const problems: string[] = [];

    const reply = (res: ServerResponse, status: number, body: unknown) => {
        const text = body === undefined ? "" : JSON.stringify(body);
        res.writeHead(status, text ? { "content-type": "application/json" } : {});
        res.end(text);
    };

    const serve = async (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? "/", "http://stand-in");
        const line = `${req.method} ${url.pathname}${url.search}`;
        const refuse = (status: number, message: string) => {
            problems.push(`${line}: ${message}`);
            log.push(`${line} -> ${status} ${message}`);
            reply(res, status, errorBody(status, `${name} stand-in: ${message}`));
        };
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const raw = Buffer.concat(chunks).toString("utf8");

        const { authorization } = options;
        const refusal = typeof authorization === "string"
            ? req.headers.authorization === authorization ? undefined : new ApiError(401, "missing or wrong Authorization header")
            : authorization(req.headers.authorization, req.method ?? "", url.pathname);
        if (refusal) {
            refuse(refusal.status, refusal.message);
            return;
        }
        const candidates = routes.filter((r) => r.path.test(url.pathname));
        const route = candidates.find((r) => r.method === req.method);
        if (!route) {
            refuse(candidates.length ? 405 : 404, `no such call in the stand-in: ${req.method} ${url.pathname}`);
            return;
        }
        const unknownQuery = [...url.searchParams.keys()].filter((k) => !(route.query ?? []).includes(k));
        if (unknownQuery.length) {
            refuse(400, `unknown query parameter(s): ${unknownQuery.join(", ")}`);
            return;
        }
        let body: unknown = undefined;
        if (route.body) {
            let json: unknown;
            try { json = JSON.parse(raw); } catch { refuse(400, `body is not JSON: ${raw.slice(0, 200)}`); return; }
            const parsed = route.body.safeParse(json);
            if (!parsed.success) {
                refuse(422, `invalid body ${raw.slice(0, 2000)}: ${parsed.error.issues
                    .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}`);
                return;
            }
            body = parsed.data;
        } else if (raw.trim() !== "") {
            refuse(400, `unexpected body: ${raw.slice(0, 200)}`);
            return;
        }
        try {
            const params = route.path.exec(url.pathname)!.slice(1);
            const out = await route.handle({ params, query: url.searchParams, body });
            log.push(`${line} -> ${out.status}`);
            reply(res, out.status, out.body);
        } catch (err) {
            if (err instanceof ApiError) { refuse(err.status, err.message); return; }
            refuse(500, `stand-in failure: ${err instanceof Error ? err.stack : String(err)}`);
        }
    };

    const server = createServer((req, res) => { void serve(req, res); });
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://${host}:${port}`,
        log,
        problems,
        close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };
}

import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

/**
 * A small OpenID Connect provider for the e2e test: the authorization-code flow with a login
 * form, a token endpoint and userinfo, enough for the hub's generic OAuth login to run end to end
 * against it exactly as against a university's provider.
 */

export interface TestUser {
    readonly login: string;
    readonly password: string;
    readonly email: string;
    readonly name: string;
}

export interface OidcProviderOptions {
    readonly host: string;
    readonly port: number;
    readonly clientId: string;
    readonly clientSecret: string;
    /** The only redirect URI the client registered: the hub's OAuth callback. */
    readonly redirectUri: string;
    readonly users: readonly TestUser[];
}

export interface OidcProvider {
    readonly issuer: string;
    readonly authorizeUrl: string;
    readonly tokenUrl: string;
    readonly userinfoUrl: string;
    /** What happened, one line per request, for the failure report. */
    readonly events: string[];
    close(): Promise<void>;
}

interface Grant {
    readonly user: TestUser;
    readonly redirectUri: string;
    readonly scope: string;
    readonly expires: number;
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProvider> {
    const codes = new Map<string, Grant>();
    const tokens = new Map<string, Grant>();
    const events: string[] = [];
    const issuer = `http://${options.host}:${options.port}`;

    const server = createServer((req, res) => {
        handle(req, res).catch((err: Error) => {
            events.push(`${req.method} ${req.url}: ${err.message}`);
            if (!res.headersSent) json(res, 500, { error: "server_error", error_description: err.message });
        });
    });

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", issuer);
        if (url.pathname === "/.well-known/openid-configuration") {
            json(res, 200, {
                issuer,
                authorization_endpoint: `${issuer}/authorize`,
                token_endpoint: `${issuer}/token`,
                userinfo_endpoint: `${issuer}/userinfo`,
                response_types_supported: ["code"],
                subject_types_supported: ["public"],
                scopes_supported: ["openid", "email", "profile"],
                token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
            });
        } else if (url.pathname === "/authorize" && req.method === "GET") {
            const problem = checkAuthorizeRequest(url.searchParams);
            if (problem) return badRequest(res, problem, events);
            html(res, 200, loginForm(url.searchParams, ""));
        } else if (url.pathname === "/authorize" && req.method === "POST") {
            const form = new URLSearchParams(await body(req));
            const problem = checkAuthorizeRequest(form);
            if (problem) return badRequest(res, problem, events);
            const user = options.users.find((u) => u.login === form.get("username") && same(u.password, form.get("password") ?? ""));
            if (!user) {
                events.push(`login refused for ${form.get("username")}`);
                return html(res, 401, loginForm(form, "Wrong user name or password."));
            }
            const code = randomBytes(16).toString("hex");
            codes.set(code, { user, redirectUri: form.get("redirect_uri")!, scope: form.get("scope") ?? "", expires: Date.now() + 60_000 });
            events.push(`${user.login} signed in`);
            const target = new URL(form.get("redirect_uri")!);
            target.searchParams.set("code", code);
            if (form.get("state")) target.searchParams.set("state", form.get("state")!);
            res.writeHead(302, { location: target.toString() }).end();
        } else if (url.pathname === "/token" && req.method === "POST") {
            const form = new URLSearchParams(await body(req));
            const client = clientCredentials(req, form);
            if (client.id !== options.clientId || !same(client.secret, options.clientSecret)) {
                events.push(`token: wrong client credentials for ${client.id}`);
                return json(res, 401, { error: "invalid_client" });
            }
            const grant = codes.get(form.get("code") ?? "");
            codes.delete(form.get("code") ?? "");
            if (form.get("grant_type") !== "authorization_code" || !grant || grant.expires < Date.now() || grant.redirectUri !== form.get("redirect_uri")) {
                events.push("token: invalid grant");
                return json(res, 400, { error: "invalid_grant" });
            }
            const accessToken = randomBytes(24).toString("hex");
            tokens.set(accessToken, { ...grant, expires: Date.now() + 3600_000 });
            events.push(`token issued for ${grant.user.login}`);
            json(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 3600, scope: grant.scope });
        } else if (url.pathname === "/userinfo") {
            const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
            const grant = tokens.get(token);
            if (!grant || grant.expires < Date.now()) {
                events.push("userinfo: unknown token");
                return json(res, 401, { error: "invalid_token" });
            }
            const { user } = grant;
            json(res, 200, { sub: user.login, email: user.email, email_verified: true, preferred_username: user.login, name: user.name });
        } else {
            json(res, 404, { error: "not_found" });
        }
    }

    function checkAuthorizeRequest(params: URLSearchParams): string | undefined {
        if (params.get("response_type") !== "code") return "response_type must be code";
        if (params.get("client_id") !== options.clientId) return `unknown client_id ${params.get("client_id")}`;
        if (params.get("redirect_uri") !== options.redirectUri) return `redirect_uri ${params.get("redirect_uri")} is not the registered ${options.redirectUri}`;
        return undefined;
    }

    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const base = `http://${options.host}:${port}`;
    return {
        issuer: base,
        authorizeUrl: `${base}/authorize`,
        tokenUrl: `${base}/token`,
        userinfoUrl: `${base}/userinfo`,
        events,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}

function loginForm(params: URLSearchParams, message: string): string {
    const hidden = ["response_type", "client_id", "redirect_uri", "state", "scope"]
        .map((k) => `<input type="hidden" name="${k}" value="${escape(params.get(k) ?? "")}">`).join("\n");
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>E2E identity provider: sign in</title></head>
<body>
<h1>Sign in</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ""}
<form method="post" action="/authorize">
${hidden}
<label>User name <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

function clientCredentials(req: IncomingMessage, form: URLSearchParams): { id: string; secret: string } {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (basic) {
        const [id, secret] = Buffer.from(basic, "base64").toString().split(":", 2).map(decodeURIComponent);
        return { id, secret: secret ?? "" };
    }
    return { id: form.get("client_id") ?? "", secret: form.get("client_secret") ?? "" };
}

function same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}

function badRequest(res: ServerResponse, problem: string, events: string[]): void {
    events.push(`authorize refused: ${problem}`);
    html(res, 400, `<!doctype html><title>Bad request</title><p>${escape(problem)}</p>`);
}

function body(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString()));
        req.on("error", reject);
    });
}

function json(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(value));
}

function html(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8" }).end(text);
}

function escape(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

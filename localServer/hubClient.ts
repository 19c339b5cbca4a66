/**
 * A student's side of the hub without a browser: the OAuth login through the local identity
 * provider's form, starting the server, and the progress events the spawn-pending page follows.
 */
import { followEvents, request, Response, Target } from "./https-client";
import { TestUser } from "./oidc-provider";
import { sleep } from "./process";

/** Cookies by name, sent back to the host that set them; enough for the hub and its login. */
export class HubClient {
    private readonly cookies = new Map<string, string>();

    constructor(private readonly target: Target, private readonly hubUrl: string) {}

    async send(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
        const onHub = url.startsWith(this.hubUrl);
        const cookie = this.cookieHeader();
        const headers = { ...options.headers, ...(onHub && cookie ? { cookie } : {}) };
        const res = onHub
            ? await request(this.target, url, { ...options, headers, timeoutMs: 120_000 })
            : await plainRequest(url, options.method ?? "GET", options.body, headers);
        if (onHub) {
            for (const line of [res.headers["set-cookie"] ?? []].flat()) {
                const [pair] = line.split(";");
                const i = pair.indexOf("=");
                this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
            }
        }
        return res;
    }

    xsrf(): string { return this.cookies.get("_xsrf") ?? ""; }

    cookieHeader(): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "); }

    /** The hub's OAuth login: the provider's form with the student's password, then the hub's callback. */
    async logIn(student: TestUser): Promise<void> {
        const authorize = new URL(location(await this.send(`${this.hubUrl}/hub/oauth_login?next=`), "oauth_login"));
        const form = new URLSearchParams(authorize.searchParams);
        form.set("username", student.login);
        form.set("password", student.password);
        const callback = location(await this.send(`${authorize.origin}/authorize`, {
            method: "POST", body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" },
        }), "the provider's login form");
        location(await this.send(callback), "the hub's OAuth callback");
        await this.send(`${this.hubUrl}/hub/home`);
    }

    /** Asks the hub to start the user's server, as the home page's button does; returns when the request it accepted was sent. */
    async startServer(user: string): Promise<number> {
        for (;;) {
            const sent = Date.now();
            const spawn = await this.send(`${this.hubUrl}/hub/api/users/${user}/server`, {
                method: "POST", headers: { "x-xsrftoken": this.xsrf(), referer: `${this.hubUrl}/hub/home` },
            });
            if (spawn.status === 201 || spawn.status === 202) return sent;
            // Warmed before the student came: nothing to start.
            if (spawn.status === 400 && /already running/.test(spawn.body)) return sent;
            // More students starting at once than concurrentSpawnLimit: the hub says when to come back.
            if (spawn.status === 429) {
                await sleep(Number(spawn.headers["retry-after"] ?? 5) * 1000);
                continue;
            }
            throw new Error(`starting the server: ${spawn.status} ${spawn.body.slice(0, 200)}`);
        }
    }

    /** The spawn-pending page's EventSource: the hub's progress events until the one that says ready. */
    async waitUntilReady(user: string): Promise<void> {
        const started = Date.now();
        let failure = "";
        const progress = `${this.hubUrl}/hub/api/users/${user}/server/progress?_xsrf=${encodeURIComponent(this.xsrf())}`;
        await followEvents(this.target, progress, { cookie: this.cookieHeader() }, (data) => {
            const event = JSON.parse(data) as { ready?: boolean; failed?: boolean; message?: string };
            if (event.failed) failure = event.message ?? "failed";
            return Boolean(event.ready || event.failed);
        });
        if (failure) throw new Error(`the hub gave up on the server after ${((Date.now() - started) / 1000).toFixed(0)} s: ${failure}`);
    }
}
/** The OIDC provider is plain http on the test host: node's fetch, no redirects followed. */
async function plainRequest(url: string, method: string, body: string | undefined, headers: Record<string, string>): Promise<Response> {
    const res = await fetch(url, { method, body, headers, redirect: "manual" });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

function location(res: Response, what: string): string {
    const to = res.headers.location;
    if (typeof to !== "string") throw new Error(`${what}: expected a redirect, got ${res.status} ${res.body.slice(0, 200)}`);
    return to;
}


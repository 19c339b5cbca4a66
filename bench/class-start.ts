// A whole class arriving at once: N students (default 30) log in through the OIDC provider and start
// their servers at the same moment, on the e2e test's local server (localServer/). Prints p50/p95/max
// of login → server ready, the failures, and the hub's memory. Not a pass/fail test.
//   flock /run/lock/jhc-e2e.lock node --import tsx bench/class-start.ts [--students 30]   (root; the lock keeps it off a running e2e test)
import { parseArgs } from "node:util";
import { ClassServer } from "../localServer/classServer";
import { e2eClassServer, user } from "../test/e2e/e2eClass";
import { request, Response, Target } from "../localServer/https-client";
import { TestUser } from "../localServer/oidc-provider";
import { sleep } from "../localServer/process";

/** Cookies by name, sent back to the host that set them; enough for the hub and its login. */
class HubClient {
    private readonly cookies = new Map<string, string>();

    constructor(private readonly target: Target, private readonly hubUrl: string) {}

    async send(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
        const onHub = url.startsWith(this.hubUrl);
        const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
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

/** Log in through the hub's OAuth flow and the provider's form, start the server, wait until the hub calls it ready. */
async function classStart(server: ClassServer, student: TestUser, target: Target): Promise<number> {
    const started = Date.now();
    const client = new HubClient(target, server.hubUrl);
    const authorize = new URL(location(await client.send(`${server.hubUrl}/hub/oauth_login?next=`), "oauth_login"));
    const form = new URLSearchParams(authorize.searchParams);
    form.set("username", student.login);
    form.set("password", student.password);
    const callback = location(await client.send(`${authorize.origin}/authorize`, {
        method: "POST", body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" },
    }), "the provider's login form");
    location(await client.send(callback), "the hub's OAuth callback");
    await client.send(`${server.hubUrl}/hub/home`);

    for (;;) {
        const spawn = await client.send(`${server.hubUrl}/hub/api/users/${student.login}/server`, {
            method: "POST", headers: { "x-xsrftoken": client.xsrf(), referer: `${server.hubUrl}/hub/home` },
        });
        if (spawn.status === 201 || spawn.status === 202) break;
        // More students starting at once than concurrentSpawnLimit: the hub says when to come back.
        if (spawn.status === 429) {
            await sleep(Number(spawn.headers["retry-after"] ?? 5) * 1000);
            continue;
        }
        throw new Error(`starting the server: ${spawn.status} ${spawn.body.slice(0, 200)}`);
    }
    for (;;) {
        const info = await client.send(`${server.hubUrl}/hub/api/users/${student.login}`);
        const state = (JSON.parse(info.body) as { servers?: Record<string, { ready?: boolean }> }).servers?.[""];
        if (state?.ready) return Date.now() - started;
        // A server the hub gave up on leaves the user's list of servers.
        if (!state) throw new Error(`the hub gave up on the server after ${((Date.now() - started) / 1000).toFixed(0)} s (see its journal)`);
        if (Date.now() - started > 10 * 60_000) throw new Error("not ready after 10 minutes");
        await sleep(1000);
    }
}

async function hubMemory(server: ClassServer): Promise<string> {
    const pid = (await server.guest.check(["systemctl", "show", "jupyterhub.service", "-p", "MainPID", "--value"])).trim();
    const status = await server.guest.check(["cat", `/proc/${pid}/status`]);
    return /VmRSS:\s*(.+)/.exec(status)?.[1]?.trim() ?? "unknown";
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { students: { type: "string", default: "30" } } });
    const count = Number(values.students);
    const students = Array.from({ length: count }, (_, i) => user(`student${String(i + 1).padStart(2, "0")}`, `Student ${i + 1}`));
    const server = e2eClassServer((config) => {
        config["jupyterhub-classroom:allowedUsers"] = students.map((s) => s.email);
    }, students);
    try {
        await server.start();
        const target = { hostname: server.hostname, address: server.network.guestAddress, ca: server.issuingRoot };
        const deadline = Date.now() + 120_000;
        while ((await request(target, `${server.hubUrl}/hub/health`).catch(() => ({ status: 0 }))).status !== 200) {
            if (Date.now() > deadline) throw new Error("the hub did not answer /hub/health within 2 minutes of classroom-apply");
            await sleep(2000);
        }
        console.log(`hub memory before: ${await hubMemory(server)}; ${count} students start at once…`);
        const results = await Promise.allSettled(students.map((s) => classStart(server, s, target)));
        const times = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])).sort((a, b) => a - b);
        const failures = results.flatMap((r, i) => (r.status === "rejected" ? [`${students[i].login}: ${(r.reason as Error).message}`] : []));
        const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
        console.log(`login → server ready, ${times.length} of ${count}: p50 ${s(percentile(times, 50))}, p95 ${s(percentile(times, 95))}, max ${s(times.at(-1))}`);
        console.log(`failures: ${failures.length}${failures.length ? `\n  ${failures.join("\n  ")}` : ""}`);
        console.log(`hub memory after: ${await hubMemory(server)}`);
        console.log(`guest memory:\n${await server.guest.check(["free", "-m"])}`);
    } finally {
        await server.stop();
    }
}

main().catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
});

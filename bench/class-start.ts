// A whole class arriving at once: N students (default 30) log in through the OIDC provider and start
// their servers at the same moment, on the e2e test's local server (localServer/). Prints a table of
// where login → ready goes (p50/p95 per phase), the failures, and what one idle student server and
// the hub cost in CPU seconds and memory. A measurement, not a pass/fail test.
// --warm: the class has a meeting starting now (classSchedule, UTC): the bench waits until the hub's
// class-warmer has started every roster server, then the class logs in.
// --concurrent-spawn-limit N: the class's concurrentSpawnLimit (default: the stack's, derived from the vCPUs).
//   flock /run/lock/jhc-e2e.lock node --import tsx bench/class-start.ts [--students 30] [--warm] [--concurrent-spawn-limit N]   (root; the lock keeps it off a running e2e test)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ClassServer } from "../localServer/classServer";
import { e2eClassServer, user } from "../test/e2e/e2eClass";
import { HubClient } from "../localServer/hubClient";
import { request, Target } from "../localServer/https-client";
import { TestUser } from "../localServer/oidc-provider";
import { sleep, waitFor } from "../localServer/process";

/** What the student's side saw, in ms since the epoch. */
interface ClientTimes {
    readonly started: number;
    /** The hub's OAuth callback answered: logged in. */
    readonly loggedIn: number;
    /** The start request the hub accepted was sent (after any 429s). */
    readonly startRequested: number;
    /** The hub's progress events said ready. */
    readonly ready: number;
}

/** Log in through the hub's OAuth flow and the provider's form, start the server, wait until the hub calls it ready. */
async function classStart(server: ClassServer, student: TestUser, target: Target): Promise<ClientTimes> {
    const started = Date.now();
    const client = new HubClient(target, server.hubUrl);
    await client.logIn(student);
    const loggedIn = Date.now();
    const startRequested = await client.startServer(student.login);
    await client.waitUntilReady(student.login);
    return { started, loggedIn, startRequested, ready: Date.now() };
}

/** bench/serverTimeline.py's answer: timestamps in µs since the epoch, null where never reached. */
interface ServerTimeline {
    readonly students: Record<string, {
        readonly InactiveExitTimestamp: number | null;
        readonly ExecMainStartTimestamp: number | null;
        readonly listening: number | null;
        readonly cpuSeconds: number;
        readonly rssBytes: number;
    }>;
    readonly hub: {
        readonly ready: Record<string, number>;
        readonly admitted: Record<string, number>;
        readonly cpuSeconds: number;
        readonly rssBytes: number;
    };
}

async function serverTimeline(server: ClassServer): Promise<ServerTimeline> {
    const script = readFileSync(join(__dirname, "serverTimeline.py"), "utf8");
    return JSON.parse(await server.guest.check(["python3", "-c", script])) as ServerTimeline;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : undefined;
}

/** One row per phase: from one moment to the next, each in ms since the epoch (undefined: not recorded). */
type Moments = Record<string, number | undefined>;

const PHASES: readonly [string, string, string][] = [
    ["OAuth round trip (login)", "started", "loggedIn"],
    ["hub home + start request (429s retried)", "loggedIn", "startRequested"],
    ["admission queue", "startRequested", "admitted"],
    ["pre-spawn hook (account, course copy)", "admitted", "unitStarting"],
    ["systemd unit start", "unitStarting", "unitExec"],
    ["server start until it listens", "unitExec", "listening"],
    ["hub notices it is ready", "listening", "hubReady"],
    ["student sees ready (progress events)", "hubReady", "ready"],
    ["login → ready", "started", "ready"],
];

function phaseTable(moments: readonly Moments[]): string {
    const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
    const rows = PHASES.map(([label, from, to]) => {
        const spans = moments.flatMap((m) => {
            // Without an admission queue (main), admission is the start request itself.
            const start = m[from] ?? (from === "admitted" ? m.startRequested : undefined);
            const end = m[to] ?? (to === "admitted" ? m.startRequested : undefined);
            return start !== undefined && end !== undefined ? [Math.max(0, end - start)] : [];
        }).sort((a, b) => a - b);
        return `| ${label} | ${spans.length} | ${s(percentile(spans, 50))} | ${s(percentile(spans, 95))} | ${s(spans.at(-1))} |`;
    });
    return ["| phase | n | p50 | p95 | max |", "|---|---|---|---|---|", ...rows].join("\n");
}

function median(values: readonly (number | null | undefined)[]): number | undefined {
    return percentile(values.filter((v): v is number => typeof v === "number").sort((a, b) => a - b), 50);
}

/** A meeting of the class (UTC) starting in 5 minutes, for an hour: its lead time (10 minutes) has begun. */
function meetingStartingSoon(): string {
    const start = new Date(Date.now() + 5 * 60_000);
    const end = new Date(start.getTime() + 60 * 60_000);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    return `${["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][start.getUTCDay()]} ${hhmm(start)}-${hhmm(end)}`;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: {
        students: { type: "string", default: "30" },
        warm: { type: "boolean", default: false },
        "concurrent-spawn-limit": { type: "string" },
    } });
    const count = Number(values.students);
    const students = Array.from({ length: count }, (_, i) => user(`student${String(i + 1).padStart(2, "0")}`, `Student ${i + 1}`));
    const server = e2eClassServer((config) => {
        config["jupyterhub-classroom:allowedUsers"] = students.map((s) => s.email);
        if (values["concurrent-spawn-limit"] !== undefined) config["jupyterhub-classroom:concurrentSpawnLimit"] = values["concurrent-spawn-limit"];
        if (values.warm) {
            config["jupyterhub-classroom:classSchedule"] = [meetingStartingSoon()];
            config["jupyterhub-classroom:timezone"] = "UTC";
            // Memory for the whole roster at memoryLimit 1G (lib/config/classSchedule.ts): warming starts all of it.
            config["jupyterhub-classroom:dropletSize"] = "s-8vcpu-16gb";
        }
    }, students);
    try {
        await server.start();
        const target = { hostname: server.hostname, address: server.network.guestAddress, ca: server.issuingRoot };
        const deadline = Date.now() + 120_000;
        while ((await request(target, `${server.hubUrl}/hub/health`).catch(() => ({ status: 0 }))).status !== 200) {
            if (Date.now() > deadline) throw new Error("the hub did not answer /hub/health within 2 minutes of classroom-apply");
            await sleep(2000);
        }
        if (values.warm) {
            const warmed = Date.now();
            await waitFor("the class-warmer to start every roster server", 30 * 60_000, async () => {
                const ready = Object.keys((await serverTimeline(server)).hub.ready).length;
                return ready >= count ? ready : undefined;
            }, 5000);
            console.log(`the class-warmer had ${count} servers ready ${((Date.now() - warmed) / 1000).toFixed(0)} s after the hub answered`);
        }
        const before = await serverTimeline(server);
        console.log(`cores on this machine: ${(await server.guest.check(["nproc"])).trim()}; ${count} students start at once…`);
        const results = await Promise.allSettled(students.map((s) => classStart(server, s, target)));
        const failures = results.flatMap((r, i) => (r.status === "rejected" ? [`${students[i].login}: ${(r.reason as Error).message}`] : []));
        // Idle for a while, so the servers' CPU is their start's and their memory is an idle server's.
        await sleep(20_000);
        const after = await serverTimeline(server);
        const ms = (micros: number | null | undefined) => (typeof micros === "number" ? micros / 1000 : undefined);
        const moments = results.flatMap((r, i): Moments[] => {
            if (r.status !== "fulfilled") return [];
            const name = students[i].login;
            const unit = after.students[name];
            return [{
                ...r.value,
                admitted: ms(after.hub.admitted[name]),
                unitStarting: ms(unit?.InactiveExitTimestamp),
                unitExec: ms(unit?.ExecMainStartTimestamp),
                listening: ms(unit?.listening),
                hubReady: ms(after.hub.ready[name]),
            }];
        });
        console.log(`\n${moments.length} of ${count} ready; failures: ${failures.length}${failures.length ? `\n  ${failures.join("\n  ")}` : ""}\n`);
        console.log(phaseTable(moments));
        const units = Object.values(after.students);
        const mib = (bytes: number | undefined) => (bytes === undefined ? "-" : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
        const cpu = (seconds: number | undefined) => (seconds === undefined ? "-" : `${seconds.toFixed(2)} s`);
        console.log(`\n| cost | value |\n|---|---|`);
        console.log(`| one student server: CPU from exec to idle (median of ${units.length}) | ${cpu(median(units.map((u) => u.cpuSeconds)))} |`);
        console.log(`| one idle student server: RSS (median) | ${mib(median(units.map((u) => u.rssBytes)))} |`);
        console.log(`| hub and its services: CPU per student start (whole class ÷ ${count}) | ${cpu((after.hub.cpuSeconds - before.hub.cpuSeconds) / count)} |`);
        console.log(`| hub and its services: RSS before → after | ${mib(before.hub.rssBytes)} → ${mib(after.hub.rssBytes)} |`);
        const raw = join(server.resultsDir, "class-start.json");
        writeFileSync(raw, JSON.stringify({ count, warm: values.warm, client: results.map((r) => (r.status === "fulfilled" ? r.value : null)), before, after }));
        console.log(`(raw timestamps: ${raw})`);
        console.log(`\nguest memory:\n${await server.guest.check(["free", "-m"])}`);
    } finally {
        await server.stop();
    }
}

main().catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
});

// The project's main proof: the exact user-data the stack renders, booted on a local Debian 12
// "Droplet", used through Traefik, a real ACME CA, a real OAuth login and a real browser.
// Run with `npm run test:e2e` (root); see docs/testing.md.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Browser, BrowserContext, Page } from "playwright-core";
import { apiFromPage, launchBrowser, runInKernel, runInTerminal, signIn } from "./browser";
import { notebook } from "../../localServer/git-server";
import { HomeEntry } from "../../localServer/classServer";
import { e2eClassServer, USERS } from "./e2eClass";
import { APPLY_CLASS_SETTINGS } from "../../lib/server";
import { generateHostKey } from "../../lib/hostKey";
import { request, servedCertificate, tlsHandshake } from "../../localServer/https-client";
import { TestUser } from "../../localServer/oidc-provider";
import { check, sleep, waitFor } from "../../localServer/process";

const server = e2eClassServer();
/** The project's own units, as installed from cloud-init/systemd/. */
const OUR_UNITS = readdirSync(join(__dirname, "../../cloud-init/systemd")).filter((f) => /\.(service|timer|mount|socket)$/.test(f));
const HUB_UNITS = ["jupyterhub.service", "traefik.service"];
/** Oneshot units a timer of ours starts: inactive between runs. */
const TIMER_STARTED = OUR_UNITS.filter((f) => f.endsWith(".timer"))
    .map((timer) => /^Unit=(\S+)$/m.exec(readFileSync(join(__dirname, "../../cloud-init/systemd", timer), "utf8"))?.[1]);

let browser: Browser | undefined;

/** What later steps take from earlier ones: the archive and what the homes held when it was made. */
const journey = { archive: "", homes: [] as HomeEntry[], aliceCreated: "" };

/** A new server has a new certificate and a new hub database: a new browser, with no old session, trusts it. */
async function freshBrowser(): Promise<void> {
    for (const { context } of sessions.values()) await context.close().catch(() => undefined);
    sessions.clear();
    await browser?.close();
    const served = await servedCertificate(target());
    assert.ok(served.trusted, `the new server's certificate does not verify against pebble's root: ${JSON.stringify(served)}`);
    browser = await launchBrowser(server.hostname, server.network.guestAddress, served.spkiSha256);
}

/**
 * A user's browser session: one page on the hub (its API takes the hub's XSRF cookie) and one on
 * their own server (JupyterLab and its API, with that server's cookies).
 */
interface Session { readonly context: BrowserContext; readonly hub: Page; readonly lab: Page }
const sessions = new Map<string, Session>();

/** A named check; when it fails, the server's failed units, journals and cloud-init output are printed. */
function step(name: string, body: () => Promise<void>, timeoutMs = 5 * 60_000): void {
    it(name, { timeout: timeoutMs }, async () => {
        try {
            await body();
        } catch (err) {
            console.error(`\n===== ${name} failed; the server's side:\n${await server.diagnostics(HUB_UNITS)}`);
            throw err;
        }
    });
}

/** The guest as the class hostname, or another name (a student's own host), points at it. */
const target = (hostname = server.hostname) => ({ hostname, address: server.network.guestAddress, ca: server.issuingRoot });

/** Where a user's server is: its own origin with perStudentOrigins, the hub's otherwise. */
function userOrigin(user: TestUser): string {
    return server.perStudentOrigins ? `https://${user.login}.${server.hostname}` : server.hubUrl;
}

/** Where a hub service answers: its own origin too with per-student origins (JupyterHub's `<name>--service.` host). */
function serviceOrigin(service: string): string {
    return server.perStudentOrigins ? `https://${service}--service.${server.hostname}` : server.hubUrl;
}

function startedBrowser(): Browser {
    if (!browser) throw new Error("the browser was not started (step 3 failed?)");
    return browser;
}

/** The user's session, signed in through the OIDC provider the first time. */
async function session(user: TestUser): Promise<Session> {
    const existing = sessions.get(user.login);
    if (existing) return existing;
    const context = await startedBrowser().newContext();
    const hub = await context.newPage();
    await signIn(hub, server.hubUrl, user);
    if (new URL(hub.url()).pathname.endsWith("/oauth_callback")) {
        const answer = ((await hub.textContent("body")) ?? "").replace(/\s+/g, " ").trim();
        await context.close();
        throw new Error(`the hub refused ${user.login}'s login: ${answer.slice(0, 300)}`);
    }
    await hub.goto(`${server.hubUrl}/hub/home`);
    const created = { context, hub, lab: await context.newPage() };
    sessions.set(user.login, created);
    return created;
}

/** Signs in (once) and starts the user's server from the hub's spawn URL; returns when JupyterLab has loaded. */
async function serverReady(user: TestUser): Promise<void> {
    const started = Date.now();
    const { lab } = await session(user);
    server.lastSpawnAt = Date.now();
    await lab.goto(`${server.hubUrl}/hub/spawn/${user.login}`);
    // The spawn-pending page follows the start and goes on to the server when it is up.
    await lab.waitForURL((url) => url.pathname.startsWith(`/user/${user.login}/lab`), { timeout: 3 * 60_000 });
    await lab.waitForSelector("#jp-main-dock-panel", { timeout: 90_000 });
    server.timings.record(`login → server ready (${user.login})`, Date.now() - started);
}

async function python(user: TestUser, code: string): Promise<string> {
    return runInKernel((await session(user)).lab, `/user/${user.login}`, code);
}

async function stopServer(user: TestUser): Promise<void> {
    const { hub } = await session(user);
    await hub.goto(`${server.hubUrl}/hub/home`);
    const res = await apiFromPage(hub, "DELETE", `/hub/api/users/${user.login}/server`);
    assert.ok([202, 204].includes(res.status), `stopping ${user.login}'s server: ${res.status} ${res.text}`);
    await waitFor(`${user.login}'s server to stop`, 60_000, async () => {
        const info = await apiFromPage(hub, "GET", `/hub/api/users/${user.login}`);
        return JSON.parse(info.text).servers?.[""] === undefined ? true : undefined;
    });
}

/** Waits (90 s at most) for /hub/health to answer 200 through Traefik; `what` names the wait in its error. */
async function hubAnswers(what: string): Promise<void> {
    await waitFor(what, 90_000, async () => ((await request(target(), `${server.hubUrl}/hub/health`)).status === 200 ? true : undefined));
}

async function mainPid(unit: string): Promise<string> {
    return (await server.guest.check(["systemctl", "show", unit, "-p", "MainPID", "--value"])).trim();
}

/** Through the admin's hub page: stops every user's server (logging in started the admin's own too). */
async function stopEveryServer(admin: Page): Promise<void> {
    const users = JSON.parse((await apiFromPage(admin, "GET", "/hub/api/users")).text) as { name: string; servers?: Record<string, unknown> }[];
    for (const { name } of users.filter((u) => u.servers?.[""] !== undefined)) {
        const res = await apiFromPage(admin, "DELETE", `/hub/api/users/${name}/server`);
        assert.ok([202, 204].includes(res.status), `stopping ${name}'s server: ${res.status} ${res.text}`);
    }
    await waitFor("every server to stop", 2 * 60_000, async () => (Object.keys(await runningServers()).length === 0 ? true : undefined));
}

/** Every student's server that runs, as its systemd unit and main PID: unchanged means not restarted. */
async function runningServers(): Promise<Record<string, string>> {
    const units = (await server.guest.check(["systemctl", "list-units", "--plain", "--no-legend", "--state=active", "jupyter-*-singleuser.service"]))
        .split("\n").map((line) => line.trim().split(/\s+/)[0]).filter(Boolean);
    const servers: Record<string, string> = {};
    for (const unit of units) {
        servers[unit] = await mainPid(unit);
    }
    return servers;
}

/**
 * What runs in jupyterhub.service besides the hub itself: its managed services. A
 * restarted hub must not leave its predecessor's behind (KillMode=process stops only the hub).
 */
async function hubProcesses(): Promise<string[]> {
    const main = await mainPid("jupyterhub.service");
    const processes = (await server.guest.check(["ps", "-e", "-o", "pid=,unit=,args="])).split("\n")
        .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null && m[2] === "jupyterhub.service" && m[1] !== main);
    const named = (args: string) => (/jupyterhub_idle_culler/.test(args) ? "idle-culler" : /classroom_hub\.warmer/.test(args) ? "class-warmer"
        : /jupyterhub-singleuser .*\/srv\/classroom\/grading\//.test(args) ? "formgrader" : args);
    return processes.map((m) => named(m[3])).sort();
}

/** Signs in with a browser session of its own and returns what the hub answered. */
async function refusedSignIn(user: TestUser): Promise<{ url: string; body: string }> {
    const context = await startedBrowser().newContext();
    try {
        const page = await context.newPage();
        await signIn(page, server.hubUrl, user);
        return { url: page.url(), body: (await page.textContent("body")) ?? "" };
    } finally {
        await context.close();
    }
}

function assertRefused(user: TestUser, answer: { url: string; body: string }): void {
    // The hub names an e-mail login by its local part: an impostor would land on that user's server.
    for (const name of [user.login, user.email.split("@")[0]]) assert.ok(!answer.url.includes(`/user/${name}`), `${user.login} reached ${answer.url}`);
    assert.match(answer.body, /403|not allowed|Forbidden/i, `${user.login}'s login was not refused: ${answer.url} ${answer.body.slice(0, 300)}`);
}

describe(`a class server booted from the rendered user-data (${server.hostname})`, () => {
    before(async () => {
        try {
            await server.start();
        } catch (err) {
            console.error(`\n===== setting up the class server failed:\n${await server.diagnostics(HUB_UNITS)}`);
            throw err;
        }
    }, { timeout: 30 * 60_000 });

    after(async () => {
        for (const { context } of sessions.values()) await context.close().catch(() => undefined);
        await browser?.close().catch(() => undefined);
        console.log(`\ntimings:\n${server.timings.report()}\nresults (screenshots, logs): ${server.resultsDir}`);
        await server.stop();
    }, { timeout: 2 * 60_000 });

    step("1. cloud-init ends done, our units are active, the system is not degraded, the admin has SSH and sudo, root has no SSH", async () => {
        assert.equal(server.cloudInitStatus.status, "done", `cloud-init ended ${server.cloudInitStatus.status}: ${JSON.stringify(server.cloudInitStatus.errors)}`);
        for (const unit of OUR_UNITS) {
            const state = (await server.guest.exec(["systemctl", "is-active", unit])).stdout.trim();
            if (TIMER_STARTED.includes(unit)) {
                const result = (await server.guest.check(["systemctl", "show", unit, "-p", "Result", "--value"])).trim();
                assert.equal(result, "success", `${unit} (started by a timer) ended ${result}`);
            } else {
                assert.equal(state, "active", `${unit} is ${state}`);
            }
        }
        const system = await waitFor("systemd to finish starting", 60_000, async () => {
            const state = (await server.guest.exec(["systemctl", "is-system-running"])).stdout.trim();
            return ["initializing", "starting"].includes(state) ? undefined : state;
        });
        assert.equal(system, "running", `systemctl is-system-running: ${system}`);

        const sudo = await server.ssh(server.adminUser, ["sudo", "-n", "id", "-u"]);
        assert.equal(sudo.code, 0, `ssh ${server.adminUser}@ sudo -n: ${sudo.stderr}`);
        assert.equal(sudo.stdout.trim(), "0");
        const root = await server.ssh("root", ["true"]);
        assert.notEqual(root.code, 0, "root logged in over SSH");
        assert.match(root.stderr, /Permission denied/, `root's SSH attempt failed, but not by refusal: ${root.stderr}`);
    });

    step("1a. sshd shows only the host key the stack made before boot; a client pinned to another key is refused before it signs in, and sends nothing", async () => {
        // Every step so far (HubSync, HubSettings, HubHealth) reached the server pinned to the
        // render's host key with StrictHostKeyChecking=yes: here is the key the server holds.
        const keys = (await server.guest.check(["sh", "-c", "ls /etc/ssh/ssh_host_*"])).trim().split("\n");
        assert.deepEqual(keys, ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub"], "cloud-init left or made other host keys");
        const shown = (await server.guest.check(["ssh-keygen", "-y", "-f", "/etc/ssh/ssh_host_ed25519_key"])).trim();
        assert.equal(shown.split(" ").slice(0, 2).join(" "), server.hostPublicKey);

        // HubSettings' step with the class settings on stdin, from a client that pinned another
        // key: what the stack's connection meets when something else answers at the address.
        // From the next whole second on, so the journal holds none of the earlier steps' logins.
        const since = Math.ceil(Date.now() / 1000);
        await sleep(since * 1000 - Date.now() + 100);
        const refused = await server.sshPinnedTo(generateHostKey().publicKey, server.adminUser, [APPLY_CLASS_SETTINGS],
            readFileSync(server.currentBundleFile));
        assert.equal(refused.code, 255, `the connection was not refused: ${refused.stderr}${refused.stdout}`);
        assert.match(refused.stderr, /Host key verification failed/);
        const sshd = await server.guest.check(["journalctl", "--no-pager", "-o", "cat", "_COMM=sshd", "--since", `@${since}`]);
        assert.doesNotMatch(sshd, /Accepted publickey/, `the server saw a login:\n${sshd}`);
        // The journal does show a login when one happens: the pinned client's, right after.
        const pinned = await server.ssh(server.adminUser, ["true"]);
        assert.equal(pinned.code, 0, pinned.stderr);
        const logins = await waitFor("sshd to log the pinned client's login", 10_000, async () => {
            const log = await server.guest.check(["journalctl", "--no-pager", "-o", "cat", "_COMM=sshd", "--since", `@${since}`]);
            return log.includes(`Accepted publickey for ${server.adminUser}`) ? log : undefined;
        }, 500);
        assert.equal(logins.match(/Accepted publickey/g)?.length, 1, logins);
    });

    step("2. http redirects to https, the certificate is issued by the pebble CA, /hub/health answers", async () => {
        const plain = await request(target(), `http://${server.hostname}/hub/`);
        assert.ok([301, 302, 307, 308].includes(plain.status), `http:// answered ${plain.status}, not a redirect`);
        assert.equal(plain.headers.location, `https://${server.hostname}/hub/`);

        const cert = await waitFor("Traefik to serve a certificate from pebble", 2 * 60_000, async () => {
            const served = await servedCertificate(target());
            return served.trusted ? served : undefined;
        }, 2000).catch(async (err: Error) => {
            const served = await servedCertificate(target()).catch((e: Error) => e.message);
            throw new Error(`${err.message}; served now: ${JSON.stringify(served)}`);
        });
        // When, by Traefik's own log: the test only looks once the server is fully set up.
        const issued = await server.guest.exec(["journalctl", "-u", "traefik.service", "-o", "short-unix", "--no-pager",
            "-g", "Server responded with a certificate"]);
        const issuedAt = Number(/^(\d+\.\d+)/m.exec(issued.stdout)?.[1]) * 1000;
        assert.ok(issuedAt > server.bootedAt, `Traefik's journal does not say when it got the certificate: ${issued.stdout}${issued.stderr}`);
        server.timings.record("boot → certificate issued", issuedAt - server.bootedAt);
        assert.match(cert.issuer, /Pebble Intermediate CA/, `issued by ${cert.issuer}`);
        assert.ok(cert.subjectAltName.split(", ").includes(`DNS:${server.hostname}`), `certificate names ${cert.subjectAltName}`);
        if (server.dns01) {
            // One certificate for the hub and every student's host, through DNS-01: the challenge
            // records went through Cloudflare's API (the stand-in, with the token the apply
            // bundle carried) and are gone again.
            assert.ok(cert.subjectAltName.split(", ").includes(`DNS:*.${server.hostname}`), `certificate names ${cert.subjectAltName}`);
            const student = await servedCertificate(target(`${USERS.alice.login}.${server.hostname}`));
            assert.ok(student.trusted && student.spkiSha256 === cert.spkiSha256, `a student's host is served another certificate: ${JSON.stringify(student)}`);
            assert.deepEqual(server.dns01.cloudflare.problems, []);
            const calls = server.dns01.cloudflare.log;
            assert.ok(calls.some((c) => /^POST \/client\/v4\/zones\/[0-9a-f]+\/dns_records -> 200$/.test(c)), `no challenge record was created through Cloudflare's API:\n${calls.join("\n")}`);
            await waitFor("the challenge records to be deleted", 30_000, async () => (server.dns01!.cloudflare.records.size === 0 ? true : undefined), 500);
        }
        server.certificateSpki = cert.spkiSha256;

        // The hub (re)starts when classroom-apply delivers the settings; give it a moment to come up.
        let health = await request(target(), `${server.hubUrl}/hub/health`);
        const deadline = Date.now() + 90_000;
        while (health.status !== 200 && Date.now() < deadline) {
            await sleep(2000);
            health = await request(target(), `${server.hubUrl}/hub/health`);
        }
        assert.equal(health.status, 200, `/hub/health answered ${health.status}: ${health.body.slice(0, 300)}`);
    });

    step("3. the login page shows the course title, help links and colour", async () => {
        assert.ok(server.certificateSpki, "no certificate to trust (step 2 failed)");
        browser = await launchBrowser(server.hostname, server.network.guestAddress, server.certificateSpki);
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(`${server.hubUrl}/hub/login`);
        await page.screenshot({ path: join(server.resultsDir, "login-page.png"), fullPage: true });
        const title = String(server.setting("loginTitle"));
        assert.equal(await page.title(), title);
        assert.equal((await page.locator("h1").first().textContent())?.trim(), title);
        for (const link of server.setting("loginHelpLinks") as { text: string; url: string }[]) {
            const anchor = page.getByRole("link", { name: link.text });
            assert.equal(await anchor.getAttribute("href"), link.url, `help link ${link.text}`);
        }
        const announcement = String(server.setting("loginAnnouncement"));
        assert.ok((await page.textContent("body"))?.includes(announcement), "the announcement is missing");
        const colour = await page.locator("a[href*='oauth_login']").first()
            .evaluate((el) => (globalThis as unknown as InPageStyle).getComputedStyle(el).backgroundColor);
        assert.equal(colour, rgb(String(server.setting("loginPrimaryColor"))), "the login button's colour");
        await context.close();
    });

    step("4. an allowed student logs in through OIDC, their server starts with the course in their home, owned by them and closed to other students", async () => {
        const { alice, bob } = USERS;
        await serverReady(alice);
        await (await session(alice)).lab.screenshot({ path: join(server.resultsDir, "alice-lab.png") });

        const directory = String(server.setting("courseDirectory"));
        const home = `/srv/classroom/home/jupyter-${alice.login}`;
        const owners = await server.guest.check(["stat", "-c", "%U %a %n", home, `${home}/${directory}`, `${home}/${directory}/lab1.ipynb`]);
        for (const line of owners.trim().split("\n")) {
            assert.match(line, new RegExp(`^jupyter-${alice.login} `), `owner of ${line}`);
        }
        assert.match(owners.split("\n")[0], / 700 /, `${home} is not 0700: ${owners}`);
        // The container has no memory or CPU controller to enforce them; the unit must still ask for them.
        const limits = await server.guest.check(["systemctl", "show", `jupyter-${alice.login}-singleuser.service`, "-p", "MemoryMax", "-p", "CPUQuotaPerSecUSec"]);
        const memory = String(server.setting("memoryLimit"));
        const cpu = Number(server.setting("cpuLimit"));
        assert.ok(limits.includes(`MemoryMax=${bytes(memory)}\n`), `memoryLimit ${memory} is not the unit's MemoryMax: ${limits}`);
        assert.ok(limits.includes(`CPUQuotaPerSecUSec=${cpu >= 1 ? `${cpu}s` : `${cpu * 1000}ms`}\n`), `cpuLimit ${cpu} is not the unit's CPU quota: ${limits}`);
        const seen = await python(alice, `import os; print(sorted(os.listdir(${JSON.stringify(directory)})))`);
        assert.match(seen, /'lab1\.ipynb'/);

        await serverReady(bob);
        const peek = await python(bob, `
import os
try:
    print(os.listdir(${JSON.stringify(home)}))
except PermissionError as e:
    print("refused:", e)
`);
        assert.match(peek, /^refused:/, `bob read alice's home: ${peek}`);
    });

    step("5. the student's edit is kept, upstream's version lands beside it, a new upstream file arrives after a restart", async () => {
        const { alice } = USERS;
        const directory = String(server.setting("courseDirectory"));
        const { lab } = await session(alice);
        const edited = notebook("print('alice was here')");
        const put = await apiFromPage(lab, "PUT", `/user/${alice.login}/api/contents/${directory}/lab1.ipynb`,
            { type: "notebook", format: "json", content: JSON.parse(edited) });
        assert.equal(put.status, 200, `saving the notebook: ${put.status} ${put.text}`);
        await server.course.publish({
            "lab1.ipynb": notebook("print('lab 1: hello, corrected')"),
            "lab2.ipynb": notebook("print('lab 2')"),
        }, "Fix lab 1, add lab 2");
        // The server fetches the course at most once a minute.
        await sleep(Math.max(0, 61_000 - (Date.now() - server.lastSpawnAt)));

        await stopServer(alice);
        await serverReady(alice);
        const listing = await python(alice, `
import json, os
d = ${JSON.stringify(directory)}
print(json.dumps({f: open(os.path.join(d, f)).read() for f in sorted(os.listdir(d)) if f.endswith(".ipynb")}))
`);
        const files = JSON.parse(listing) as Record<string, string>;
        assert.match(files["lab1.ipynb"] ?? "", /alice was here/, "the student's edit of lab1.ipynb was not kept");
        const beside = Object.keys(files).filter((f) => /^lab1\.upstream-[0-9a-f]{7}\.ipynb$/.test(f));
        assert.equal(beside.length, 1, `upstream's lab1 is not beside the student's: ${Object.keys(files).join(", ")}`);
        assert.match(files[beside[0]], /corrected/);
        assert.match(files["lab2.ipynb"] ?? "", /lab 2/, "the new lab2.ipynb did not arrive");
    });

    step("6. a user not on the roster is refused, and so are a student's and an admin's local parts at another e-mail domain; an admin reaches the admin panel", async () => {
        const { mallory, prof, aliceElsewhere, profElsewhere } = USERS;
        for (const stranger of [mallory, aliceElsewhere, profElsewhere]) assertRefused(stranger, await refusedSignIn(stranger));

        const admin = (await session(prof)).hub;
        const panel = await admin.goto(`${server.hubUrl}/hub/admin`);
        assert.equal(panel?.status(), 200, `the admin panel answered ${panel?.status()}`);
        await admin.getByText(USERS.alice.login, { exact: true }).first().waitFor({ timeout: 30_000 });
        const users = await apiFromPage(admin, "GET", "/hub/api/users");
        assert.equal(users.status, 200, `the admin listing users: ${users.status}`);
        await admin.screenshot({ path: join(server.resultsDir, "admin-panel.png") });
    });

    step("7. students cannot reach the metadata service, cloud-init's data or the hub's secrets; root can reach the metadata service", async () => {
        const metadata = `http://${server.network.metadataAddress}/metadata/v1/user-data`;
        await server.startMetadataStandIn();
        const asRoot = await server.guest.exec(["curl", "-sS", "--max-time", "5", metadata]);
        assert.equal(asRoot.code, 0, `root could not reach the stand-in metadata service: ${asRoot.stderr}`);
        assert.match(asRoot.stdout, /stand-in user-data/);

        const probe = await python(USERS.alice, `
import json, os, urllib.request
out = {}
try:
    out["metadata"] = urllib.request.urlopen(${JSON.stringify(metadata)}, timeout=5).read().decode()
except Exception as e:
    out["metadata"] = None
for path in ["/etc/jupyterhub-classroom/secrets.json", "/etc/jupyterhub-classroom/class.json",
             "/var/lib/cloud/instance/user-data.txt", "/var/lib/cloud/seed/nocloud/user-data",
             "/var/lib/jupyterhub/jupyterhub.sqlite", "/var/lib/traefik/acme.json", "/var/log/cloud-init-output.log"]:
    try:
        out[path] = open(path, "rb").read(64).hex() or "(empty but readable)"
    except OSError:
        out[path] = None
print(json.dumps(out))
`);
        const reached = Object.entries(JSON.parse(probe) as Record<string, string | null>).filter(([, v]) => v !== null).map(([k]) => k);
        assert.deepEqual(reached, [], `a student reached: ${reached.join(", ")}`);
    });

    step("8. hub and proxy restarts keep students' servers; a roster change delivered in place lets a new student in", async () => {
        const { alice, carol } = USERS;
        const before = await runningServers();
        assert.ok(`jupyter-${alice.login}-singleuser.service` in before, `alice's server is not running: ${JSON.stringify(before)}`);

        await server.guest.check(["systemctl", "restart", "jupyterhub.service"]);
        await hubAnswers("the hub to answer after its restart");
        assert.deepEqual(await runningServers(), before, "students' servers did not survive the hub's restart");
        assert.match(await python(alice, "print(6 * 7)"), /^42/);

        const hubPid = await mainPid("jupyterhub.service");
        await server.guest.check(["systemctl", "restart", "traefik.service"]);
        await hubAnswers("the proxy to route to the hub again after its restart");
        assert.equal(await mainPid("jupyterhub.service"), hubPid, "restarting Traefik restarted the hub");
        assert.match(await python(alice, "print(6 * 7)"), /^42/);
        assert.deepEqual(await runningServers(), before, "students' servers did not survive the proxy's restart");
        assert.deepEqual(await hubProcesses(), ["class-warmer", "formgrader", "idle-culler"], "the restarts left processes of an earlier hub behind");

        assertRefused(carol, await refusedSignIn(carol));
        const bundle = await server.renderChanged("roster-change", (config) => {
            const allowed = config["jupyterhub-classroom:allowedUsers"] as string[];
            config["jupyterhub-classroom:allowedUsers"] = [...allowed, carol.email];
        });
        await server.deliverBundle(bundle);
        await hubAnswers("the hub to answer after classroom-apply restarted it");
        await serverReady(carol);
        const after = await runningServers();
        for (const [unit, pid] of Object.entries(before)) {
            assert.equal(after[unit], pid, `${unit} did not survive the roster change`);
        }
    }, 8 * 60_000);

    step("9. the health check `pulumi up` ends with passes; with Traefik stopped it fails, naming Traefik, with its status and journal and no secret", async () => {
        const healthy = await server.healthCheck();
        assert.equal(healthy.code, 0, `classroom-health failed on a healthy hub:\n${healthy.stderr}`);
        assert.equal(healthy.stdout.trim().split("\n").pop(), `healthy: ${server.hubUrl}/hub/health`);

        await server.guest.check(["systemctl", "stop", "traefik.service"]);
        try {
            // HubHealth's command as `pulumi up` runs it: a stopped unit ends the wait before the timeout.
            const failed = await server.healthCheck();
            assert.equal(failed.code, 1, `classroom-health exited ${failed.code} with Traefik stopped:\n${failed.stdout}${failed.stderr}`);
            const report = failed.stderr;
            assert.match(report, /^The hub is not healthy: traefik\.service is inactive\b/m, report);
            assert.match(report, /Last attempt: nothing accepts connections on engr101\.e2e-classroom\.test:443 \(is Traefik running\?\)/, report);
            assert.match(report, /^--- systemctl status traefik\.service\n.*traefik\.service/m, report);
            assert.match(report, /^--- last 40 lines of the journal of traefik\.service\n[\s\S]*\b(Stopped|Stopping) (traefik\.service - )?Traefik/m, report);
            assert.match(report, /^--- last 25 lines of \/var\/log\/cloud-init-output\.log\n/m, report);
            for (const [name, value] of Object.entries(server.renderedSecrets())) {
                if (value) assert.ok(!`${failed.stdout}${report}`.includes(value), `the report shows the secret ${name}`);
            }
        } finally {
            await server.guest.check(["systemctl", "start", "traefik.service"]);
        }
        const again = await server.healthCheck();
        assert.equal(again.code, 0, `classroom-health after Traefik started again:\n${again.stderr}`);
    });

    step("10. `npm run archive` (what `pulumi destroy` runs first) copies every home and the hub database here, matching the server's checksum", async () => {
        const { alice, bob, prof } = USERS;
        await python(alice, `
import os
os.makedirs("notes", exist_ok=True)
with open("notes/week1.md", "w") as f:
    f.write("# Week 1\\nalice's own notes\\n")
`);
        const admin = (await session(prof)).hub;
        await stopEveryServer(admin);
        journey.aliceCreated = JSON.parse((await apiFromPage(admin, "GET", `/hub/api/users/${alice.login}`)).text).created;
        assert.ok(journey.aliceCreated, "the hub database has no creation time for alice");
        journey.homes = await server.homesManifest();
        assert.ok(journey.homes.some((e) => e.path === `jupyter-${alice.login}/notes/week1.md` && e.user === `jupyter-${alice.login}`),
            `alice's notes are not in her home: ${JSON.stringify(journey.homes.map((e) => e.path))}`);

        const archive = await server.timings.time("npm run archive", () => server.archive(server.privateDir("archives")));
        journey.archive = archive;
        assert.match(basename(archive), /^e2e-\d{8}T\d{6}Z\.tar\.gz$/);
        assert.equal(statSync(archive).mode & 0o777, 0o600, "the archive is readable by others");
        const kept = await server.guest.check(["sh", "-c", "sha256sum /var/backups/jupyterhub-classroom/classroom-*.tar.gz"]);
        assert.equal(kept.trim().split(/\s+/)[0], createHash("sha256").update(readFileSync(archive)).digest("hex"),
            "the copy here is not the archive the server kept");
        const members = (await check("tar", ["-tzf", archive])).split("\n");
        for (const member of ["archive.json", "hub/jupyterhub.sqlite", `home/jupyter-${alice.login}/notes/week1.md`,
            `home/jupyter-${bob.login}/${String(server.setting("courseDirectory"))}/lab1.ipynb`]) {
            assert.ok(members.includes(member), `the archive lacks ${member}`);
        }
        const handedOver = await server.ssh(server.adminUser, ["ls", "-A", "classroom-archives"]);
        assert.equal(handedOver.stdout.trim(), "", `the admin's download copy was left on the server: ${handedOver.stdout}`);
    });

    step("11. a replacement server mounts the same volume, formats nothing, and every student finds their files as they were", async () => {
        const { alice, bob, carol } = USERS;
        const uuid = await server.volume.uuid();
        await server.replace(server.volume, "replacement, same volume");
        const install = await server.guest.check(["cat", "/var/log/cloud-init-output.log"]);
        assert.ok(!install.includes("formatting the new, empty volume"), "the replacement formatted the students' volume");
        assert.match(install, new RegExp(`the students' volume \\S+ holds ext4 file system ${uuid}`));
        assert.equal(await server.volume.uuid(), uuid);
        const mounted = await server.guest.check(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "/srv/classroom"]);
        assert.match(mounted, /^\/dev\/loop\d+ ext4$/m, `the volume is not what /srv/classroom is: ${mounted}`);

        // Before anyone logs in: every entry, byte for byte, with the same ids, modes and times.
        const comparable = (e: HomeEntry) => ({ ...e, user: undefined, group: undefined });
        assert.deepEqual(differences(journey.homes.map(comparable), (await server.homesManifest()).map(comparable)), [],
            "the homes on the replacement are not as they were");

        await freshBrowser();
        for (const student of [alice, bob, carol]) {
            await serverReady(student);
            const account = `jupyter-${student.login}`;
            const [uid, owner] = (await server.guest.check(["sh", "-c", `id -u ${account}; stat -c %u /srv/classroom/home/${account}`])).trim().split("\n");
            assert.equal(uid, owner, `${account} got uid ${uid} on the new server, but its home belongs to ${owner}`);
        }
        const directory = String(server.setting("courseDirectory"));
        const seen = await python(alice, `print(open("notes/week1.md").read() + open(${JSON.stringify(`${directory}/lab1.ipynb`)}).read())`);
        assert.match(seen, /alice's own notes/);
        assert.match(seen, /alice was here/, "alice's edit of lab1.ipynb did not survive the replacement");
    }, 10 * 60_000);

    step("12. an archive restores onto a new class with a blank volume: every home with its owners, and the hub database", async () => {
        const { alice, prof } = USERS;
        assert.ok(journey.archive && journey.homes.length, "no archive to restore (step 10 failed?)");
        const blank = await server.newVolume("new-class");
        await server.replace(blank, "new class, blank volume");
        const install = await server.guest.check(["cat", "/var/log/cloud-init-output.log"]);
        assert.match(install, /formatting the new, empty volume/, "the blank volume was not formatted");

        const restored = await server.timings.time("restore (scp + classroom-restore)", () => server.restore(journey.archive));
        assert.equal(restored.code, 0, `classroom-restore exited ${restored.code}:\n${restored.stderr}${restored.stdout}`);
        const homes = new Set(journey.homes.map((e) => e.path.split("/")[0]));
        assert.match(restored.stdout, new RegExp(`restored the homes of ${homes.size} students`), `archived homes: ${[...homes].join(", ")}`);
        assert.match(restored.stdout, /restored the hub database/);
        assert.doesNotMatch(restored.stdout, /skipped/);

        // Owners by name (the new server numbers accounts afresh); ~/.cache is not archived; a
        // directory's time changes as its files are restored.
        const comparable = (e: HomeEntry) => ({ path: e.path, kind: e.kind, user: e.user, group: e.group, mode: e.mode,
            size: e.size, sha256: e.sha256, target: e.target, mtime: e.kind === "file" ? e.mtime : undefined });
        const archived = journey.homes.filter((e) => !/^[^/]+\/\.cache(\/|$)/.test(e.path));
        assert.deepEqual(differences(archived.map(comparable), (await server.homesManifest()).map(comparable)), [],
            "the restored homes are not as archived");

        await hubAnswers("the hub to answer after the restore restarted it");
        await freshBrowser();
        await serverReady(alice);
        assert.match(await python(alice, `print(open("notes/week1.md").read())`), /alice's own notes/);
        const admin = (await session(prof)).hub;
        const created = JSON.parse((await apiFromPage(admin, "GET", `/hub/api/users/${alice.login}`)).text).created;
        assert.equal(created, journey.aliceCreated, "the hub database is not the archived one");
    }, 10 * 60_000);

    step("13. students cannot see each other's /dev/shm, /run/lock or processes", async () => {
        const { alice, bob } = USERS;
        await serverReady(bob);
        await python(alice, `
open("/dev/shm/alice-shm", "w").write("alice")
open("/run/lock/alice.lock", "w").write("alice")
`);
        const seen = JSON.parse(await python(bob, `
import json, os
uids = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        uids.append(os.stat(f"/proc/{pid}").st_uid)
    except OSError:
        pass
open("/dev/shm/bob-shm", "w").write("bob")
open("/run/lock/bob.lock", "w").write("bob")
print(json.dumps({"uid": os.getuid(), "uids": sorted(set(uids)), "processes": len(uids),
                  "shm": sorted(os.listdir("/dev/shm")), "lock": sorted(os.listdir("/run/lock"))}))
`)) as { uid: number; uids: number[]; processes: number; shm: string[]; lock: string[] };
        assert.ok(seen.shm.includes("bob-shm") && !seen.shm.includes("alice-shm"), `bob's /dev/shm: ${seen.shm.join(", ")}`);
        assert.ok(seen.lock.includes("bob.lock") && !seen.lock.includes("alice.lock"), `bob's /run/lock: ${seen.lock.join(", ")}`);
        assert.deepEqual(seen.uids, [seen.uid], `bob sees processes of other users (uids ${seen.uids.join(", ")})`);
        assert.ok(seen.processes >= 2, `bob does not even see his own server and kernel: ${seen.processes} processes`);
        const machine = await server.guest.check(["ls", "-A", "/dev/shm", "/run/lock"]);
        assert.doesNotMatch(machine, /alice-shm|bob-shm|alice\.lock|bob\.lock/, `a student wrote to the machine's own: ${machine}`);
    });

    step("14. systemd-analyze security rates a student's unit 3.0 or less; JupyterLab, terminals, kernels, numpy, git, pip and pip --user work in it", async () => {
        const { alice } = USERS;
        const unit = `jupyter-${alice.login}-singleuser.service`;
        const security = await server.guest.exec(["systemd-analyze", "security", "--no-pager", unit]);
        const exposure = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(security.stdout)?.[1]);
        console.log(`systemd-analyze security ${unit}: ${exposure}`);
        assert.ok(exposure <= 3.0, `${unit} is exposed ${exposure}:\n${security.stdout}${security.stderr}`);

        // JupyterLab has loaded (serverReady); a terminal and a kernel run as the student.
        const { lab } = await session(alice);
        const terminal = await runInTerminal(lab, `/user/${alice.login}`, "echo terminal-$(id -un)-$((6*7))", `terminal-jupyter-${alice.login}-42`);
        assert.match(terminal, new RegExp(`terminal-jupyter-${alice.login}-42`));
        const works = await runInKernel(lab, `/user/${alice.login}`, `
import json, os, subprocess, sys
import numpy
out = {"numpy": float(numpy.linalg.inv(numpy.eye(3) * 2).sum())}
def run(*argv, **options):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240, **options)
    return done.returncode == 0 or f"{argv[0:3]} exited {done.returncode}: {done.stderr[-500:]}"
repo = os.path.expanduser("~/sandbox-check")
identity = ["-c", "user.name=Alice", "-c", "user.email=alice@example.edu"]
out["git"] = run("git", "init", "--quiet", repo) is True and run("git", "-C", repo, *identity, "commit", "--allow-empty", "-qm", "first")
venv = os.path.expanduser("~/.venvs/sandbox-check")
out["pip"] = run(sys.executable, "-m", "venv", venv) is True and run(f"{venv}/bin/pip", "install", "--quiet", "--no-deps", "six==1.17.0")
out["import"] = run(f"{venv}/bin/python", "-c", "import six; assert six.__version__ == '1.17.0'")
# pip --user into ~/.local, a package the class's environment does not have; the kernel's python imports it from there.
out["pip --user"] = run(sys.executable, "-m", "pip", "install", "--quiet", "--user", "--no-deps", "tabulate==0.9.0")
out["import --user"] = run(sys.executable, "-c", "import site, tabulate; assert tabulate.__file__.startswith(site.getusersitepackages()), tabulate.__file__")
print(json.dumps(out))
`, 5 * 60_000);
        assert.deepEqual(JSON.parse(works), { numpy: 1.5, git: true, pip: true, import: true, "pip --user": true, "import --user": true });
    }, 8 * 60_000);

    step("15. a hook planted in a student's course copy does not run at the next start; the copy runs in a unit of its own and leaves no student process in the hub's unit", async () => {
        const { alice } = USERS;
        const account = `jupyter-${alice.login}`;
        const directory = String(server.setting("courseDirectory"));
        // Each hook leaves a mark and starts a process meant to outlive the copy.
        await python(alice, `
import os, subprocess
copy = ${JSON.stringify(directory)}
hooks = os.path.expanduser("~/planted-hooks")
os.makedirs(hooks, exist_ok=True)
script = "#!/bin/sh\\ntouch \\"$HOME/hook-ran-$(basename $0)\\"\\nsetsid sleep 7777 </dev/null >/dev/null 2>&1 &\\n"
for folder in (hooks, os.path.join(copy, ".git", "hooks")):
    for name in ("reference-transaction", "post-index-change", "post-checkout", "pre-auto-gc"):
        with open(os.path.join(folder, name), "w") as f:
            f.write(script)
        os.chmod(os.path.join(folder, name), 0o755)
for key, value in [("core.hooksPath", hooks), ("core.fsmonitor", os.path.join(hooks, "reference-transaction"))]:
    subprocess.run(["git", "-C", copy, "config", key, value], check=True)
`);
        await server.course.publish({ "lab3.ipynb": notebook("print('lab 3')") }, "Add lab 3");
        // The server fetches the course at most once a minute.
        await sleep(Math.max(0, 61_000 - (Date.now() - server.lastSpawnAt)));
        await stopServer(alice);
        await serverReady(alice);

        const after = JSON.parse(await python(alice, `
import glob, json, os
print(json.dumps({"lab3": os.path.exists(${JSON.stringify(`${directory}/lab3.ipynb`)}),
                  "marks": sorted(os.path.basename(m) for m in glob.glob(os.path.expanduser("~/hook-ran-*")))}))
`)) as { lab3: boolean; marks: string[] };
        assert.ok(after.lab3, "the course update did not arrive (the copy did not run?)");
        assert.deepEqual(after.marks, [], "a hook the student planted ran");
        const left = await server.guest.exec(["pgrep", "-a", "-f", "sleep 7777"]);
        assert.equal(left.stdout.trim(), "", `a process a hook started is still running: ${left.stdout}`);
        const inHub = (await server.guest.check(["ps", "-e", "-o", "uid=,unit=,args="])).split("\n")
            .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
            // 59999, the last uid of the students' firewall range, is the formgrader's account (grading).
            .filter((m): m is RegExpExecArray => m !== null && m[2] === "jupyterhub.service" && Number(m[1]) >= 20000 && Number(m[1]) <= 59998);
        assert.deepEqual(inHub.map((m) => m[0]), [], "student processes run in the hub's unit");
        const copyUnit = await server.guest.check(["journalctl", "--no-pager", "-o", "cat", "-u", `${account}-course-copy.service`]);
        assert.match(copyUnit, new RegExp(`${account}-course-copy\\.service`), `the copy did not run in a unit of its own: ${copyUnit}`);
        const hubLog = await server.guest.check(["journalctl", "-u", "jupyterhub.service", "-o", "cat", "--no-pager", "-g", `Course copy of ${account}`]);
        assert.match(hubLog.trim().split("\n").pop() ?? "", new RegExp(`Course copy of ${account} updated`), `the hub's log does not say the copy was updated: ${hubLog}`);
    }, 6 * 60_000);

    step("16. after `systemctl start nftables` students still cannot reach the metadata service or private addresses; classroom-health fails naming the block while it is gone; the timer restores it", async () => {
        const { alice } = USERS;
        const metadata = `http://${server.network.metadataAddress}/metadata/v1/user-data`;
        const privateUrl = `${String(server.setting("courseRepoUrl"))}/info/refs?service=git-upload-pack`;
        const asRoot = await server.guest.exec(["curl", "-sS", "--max-time", "5", metadata]);
        assert.match(asRoot.stdout, /stand-in user-data/, `root cannot reach the stand-in metadata service: ${asRoot.stderr}`);
        const reachable = async (): Promise<Record<string, string | null>> => JSON.parse(await python(alice, `
import json, socket, urllib.request
out = {}
for name, url in [("metadata", ${JSON.stringify(metadata)}), ("private", ${JSON.stringify(privateUrl)})]:
    try:
        out[name] = str(urllib.request.urlopen(url, timeout=5).status)
    except Exception as e:
        out[name] = None
out["dns"] = socket.getaddrinfo("deb.debian.org", 443)[0][4][0]
print(json.dumps(out))
`));
        // IPAddressDeny blocks too where systemd's BPF cgroup firewall works: on cgroup2 only.
        console.log(`IPAddressDeny=${(await server.guest.check(["systemctl", "show", `jupyter-${alice.login}-singleuser.service`, "-p", "IPAddressDeny", "--value"])).trim()}; `
            + `the server's /sys/fs/cgroup is ${(await server.guest.check(["stat", "-fc", "%T", "/sys/fs/cgroup"])).trim()}`);
        for (const action of ["start", "restart", "reload", "stop"]) {
            await server.guest.check(["systemctl", action, "nftables.service"]);
            const seen = await reachable();
            assert.equal(seen.metadata, null, `after systemctl ${action} nftables a student reached the metadata service`);
            assert.equal(seen.private, null, `after systemctl ${action} nftables a student reached ${privateUrl}`);
            assert.ok(seen.dns, "a student cannot resolve names");
        }
        const healthy = await server.healthCheck();
        assert.equal(healthy.code, 0, `classroom-health with the block in place:\n${healthy.stderr}`);

        await server.guest.check(["nft", "flush", "ruleset"]);
        const failed = await server.healthCheck();
        assert.equal(failed.code, 1, `classroom-health passed with the students' rules flushed:\n${failed.stdout}`);
        assert.match(failed.stderr, /^The metadata service \(169\.254\.169\.254\) is open to students: the nftables table inet jupyterhub_classroom .*missing.*jupyterhub-classroom-firewall\.service/m, failed.stderr);
        await waitFor("jupyterhub-classroom-firewall.timer to restore the students' rules", 90_000, async () =>
            ((await server.guest.exec(["nft", "list", "table", "inet", "jupyterhub_classroom"])).code === 0 ? true : undefined), 2000);
        assert.equal((await reachable()).metadata, null, "the restored rules do not keep students off the metadata service");
        const again = await server.healthCheck();
        assert.equal(again.code, 0, `classroom-health once the rules are back:\n${again.stderr}`);
    }, 6 * 60_000);

    step("17. the edge: testssl.sh finds nothing vulnerable and no CBC suite; no Server banner; another Host or no SNI gets nothing; every cookie is Secure; sshd forwards nothing", async () => {
        const findings = await server.timings.time("testssl.sh", () => server.testssl("/hub/login"));
        const text = (f: { id: string; finding: string }) => `${f.id}: ${f.finding}`;
        assert.deepEqual(findings.filter((f) => /VULNERABLE/.test(f.finding)).map(text), [], "testssl.sh found something (potentially) VULNERABLE");
        const finding = (id: string) => findings.find((f) => f.id === id)?.finding;
        assert.equal(finding("cipherlist_AVERAGE"), "not offered", "CBC suites (testssl's \"Obsolete CBC ciphers\") are offered");
        assert.equal(finding("cipherlist_3DES_IDEA"), "not offered");
        const suites = findings.filter((f) => f.id.startsWith("cipherorder_")).flatMap((f) => f.finding.split(/\s+/));
        assert.ok(suites.length > 0, `testssl.sh listed no cipher order: ${findings.filter((f) => f.id.startsWith("cipher")).map(text).join("; ")}`);
        assert.deepEqual(suites.filter((suite) => !/GCM|CHACHA20|CCM/.test(suite)), [], "a suite other than an AEAD one is offered");
        assert.deepEqual(["TLS1", "TLS1_1", "TLS1_2", "TLS1_3"].map((id) => [id, finding(id)]),
            [["TLS1", "not offered"], ["TLS1_1", "not offered"], ["TLS1_2", "offered"], ["TLS1_3", "offered with final"]]);
        assert.match(finding("banner_server") ?? "", /^No Server banner/, `testssl.sh saw a Server banner: ${finding("banner_server")}`);
        // "All (n) at …" when every cookie is Secure, "k/n at …" when k of them are.
        assert.match(finding("cookie_secure") ?? "", /^All \(\d+\) at /, `testssl.sh saw cookies without Secure: ${finding("cookie_secure")}`);

        // No banner from the hub or a student's server; another name is refused, at TLS and by Host.
        const { alice } = USERS;
        for (const url of [`${server.hubUrl}/hub/login`, `${server.hubUrl}/hub/health`, `${userOrigin(alice)}/user/${alice.login}/api/status`]) {
            const response = await request(target(new URL(url).hostname), url);
            assert.equal(response.headers.server, undefined, `${url} names its server: ${response.headers.server}`);
        }
        // With perStudentOrigins one label below the hostname is a student's host: two are refused.
        for (const host of ["other.example.org", server.network.guestAddress, `evil.${server.perStudentOrigins ? "sub." : ""}${server.hostname}`]) {
            const refused = await request(target(), `${server.hubUrl}/hub/login`, { headers: { host } });
            assert.equal(refused.status, 403, `Host ${host} answered ${refused.status}: ${refused.body.slice(0, 200)}`);
        }
        assert.equal(await tlsHandshake(target(), undefined), undefined, "a TLS handshake without SNI succeeded");
        assert.equal(await tlsHandshake(target(), "other.example.org"), undefined, "a TLS handshake for another name succeeded");
        assert.equal(await tlsHandshake(target(), server.hostname), "TLSv1.3");

        // The hub's cookies (its _xsrf included) and those of alice's own server, as her browser holds them.
        const login = await request(target(), `${server.hubUrl}/hub/login`, { headers: { "Sec-Fetch-Mode": "navigate" } });
        const setCookies = [login.headers["set-cookie"] ?? []].flat();
        assert.ok(setCookies.some((c) => c.startsWith("_xsrf=")), `/hub/login set no _xsrf cookie: ${setCookies.join(" | ")}`);
        assert.deepEqual(setCookies.filter((c) => !/;\s*Secure(;|$)/i.test(c)), [], "a cookie of the login page is not Secure");
        // By the paths they are sent to: a cookie's path must match, so the bare origin would show only "/" cookies.
        const cookies = await (await session(alice)).context.cookies([`${server.hubUrl}/hub/`, `${userOrigin(alice)}/user/${alice.login}/`]);
        const names = cookies.map((c) => `${c.name} ${c.path}`);
        assert.ok(names.includes("_xsrf /hub/") && names.includes(`_xsrf /user/${alice.login}/`), `alice's browser lacks an _xsrf cookie: ${names.join(", ")}`);
        assert.deepEqual(cookies.filter((c) => !c.secure).map((c) => `${c.name} ${c.path}`), [], "cookies without Secure");

        // sshd: no forwarding of any kind; a real attempt at TCP forwarding is refused.
        const sshd = await server.guest.check(["sshd", "-T"]);
        for (const setting of ["allowagentforwarding no", "allowtcpforwarding no", "allowstreamlocalforwarding no", "x11forwarding no", "permittunnel no"]) {
            assert.match(sshd, new RegExp(`^${setting}$`, "m"), `sshd -T does not say ${setting}`);
        }
        const forward = await server.sshTcpForward("127.0.0.1:8081");
        assert.notEqual(forward.code, 0, "sshd forwarded a TCP connection to the hub's own port");
        // OpenSSH's client says "stdio forwarding failed" when sshd refuses the -W channel.
        assert.match(forward.stderr, /administratively prohibited|open failed|stdio forwarding failed/, `the forward failed, but not by refusal: ${forward.stderr}`);
    }, 10 * 60_000);

    step("18. Jupyter config a student puts in their home, and a .pth file in their ~/.local, are not loaded by their server", async () => {
        const { alice } = USERS;
        // Jupyter config files are Python: this one would leave a mark in alice's home when loaded.
        await python(alice, [
            "import pathlib",
            "config = pathlib.Path.home() / '.jupyter' / 'jupyter_server_config.py'",
            "config.parent.mkdir(exist_ok=True)",
            "config.write_text('import pathlib; (pathlib.Path.home() / \"user-config-ran\").touch()\\n')",
            "print(config)",
        ].join("\n"));
        // Nor what pip --user put in ~/.local (the server runs `python -s`): a .pth file there runs in
        // every Python that loads ~/.local, leaving a mark named by its process id.
        await python(alice, [
            "import pathlib, site",
            "pth = pathlib.Path(site.getusersitepackages()) / 'classroom-e2e-mark.pth'",
            "pth.parent.mkdir(parents=True, exist_ok=True)",
            "pth.write_text('import os; open(os.path.expanduser(f\"~/user-site-ran-{os.getpid()}\"), \"w\").close()\\n')",
        ].join("\n"));
        await stopServer(alice);
        await serverReady(alice);
        const mark = await python(alice, "import pathlib; print((pathlib.Path.home() / 'user-config-ran').exists())");
        assert.equal(mark.trim(), "False", "the student's ~/.jupyter/jupyter_server_config.py ran in their server");
        const serverPid = (await server.guest.check(["systemctl", "show", "-p", "MainPID", "--value", `jupyter-${alice.login}-singleuser`])).trim();
        const userSite = JSON.parse(await python(alice, [
            "import json, os, pathlib, site",
            "marks = sorted(p.name for p in pathlib.Path.home().glob('user-site-ran-*'))",
            "(pathlib.Path(site.getusersitepackages()) / 'classroom-e2e-mark.pth').unlink()",
            "for name in marks: (pathlib.Path.home() / name).unlink()",
            "print(json.dumps({'marks': marks, 'kernel': f'user-site-ran-{os.getpid()}'}))",
        ].join("\n"))) as { marks: string[]; kernel: string };
        assert.ok(userSite.marks.includes(userSite.kernel), `the .pth in ~/.local did not run in the kernel: ${userSite.marks.join(" ")}`);
        assert.ok(!userSite.marks.includes(`user-site-ran-${serverPid}`), `~/.local loaded in alice's server (pid ${serverPid})`);
        const environ = await server.guest.check(["sh", "-c", `tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value jupyter-${alice.login}-singleuser)/environ`]);
        assert.match(environ, /^JUPYTERHUB_DISABLE_USER_CONFIG=1$/m);
    });

    step("19. a class meeting's lead time warms the roster's servers; the culler leaves them alone during the meeting; a student finds theirs running; the warmer used only its scopes", async () => {
        const { alice, bob, prof } = USERS;
        const admin = (await session(prof)).hub;
        await stopEveryServer(admin);
        const since = (await server.guest.check(["date", "--utc", "+%Y-%m-%d %H:%M:%S"])).trim();
        // The clock is moved by the schedule: a meeting (UTC) that starts in 5 minutes is in its lead time now.
        const start = new Date(Date.now() + 5 * 60_000);
        const hhmm = (d: Date) => d.toISOString().slice(11, 16);
        const meeting = `${["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][start.getUTCDay()]} ${hhmm(start)}-${hhmm(new Date(start.getTime() + 60 * 60_000))}`;
        const bundle = await server.renderChanged("class-meeting", (config) => {
            config["jupyterhub-classroom:classSchedule"] = [meeting];
            config["jupyterhub-classroom:timezone"] = "UTC";
            // The culler looks every 30 s and stops what was idle for a minute.
            config["jupyterhub-classroom:idleTimeoutSeconds"] = "60";
        });
        await server.deliverBundle(bundle);
        await hubAnswers("the hub to answer after classroom-apply delivered the schedule");
        const unit = (user: TestUser) => `jupyter-${user.login}-singleuser.service`;
        const warm = await waitFor("the class-warmer to start alice's and bob's servers", 4 * 60_000, async () => {
            const running = await runningServers();
            return unit(alice) in running && unit(bob) in running ? running : undefined;
        }, 2000);
        assert.ok(!(unit(prof) in warm), "the warmer started an admin's server");

        // A server nobody warms, started and left idle: the culler stops it, and not the warm ones.
        const started = await apiFromPage(admin, "POST", `/hub/api/users/${prof.login}/server`);
        assert.ok([201, 202].includes(started.status), `starting prof's server: ${started.status} ${started.text}`);
        await waitFor("the idle culler to stop prof's idle server", 4 * 60_000, async () => {
            const info = JSON.parse((await apiFromPage(admin, "GET", `/hub/api/users/${prof.login}`)).text);
            return info.servers?.[""] === undefined ? true : undefined;
        }, 3000);
        const during = await runningServers();
        for (const user of [alice, bob]) {
            assert.equal(during[unit(user)], warm[unit(user)], `${user.login}'s warm server was stopped or restarted during the meeting`);
        }

        await serverReady(alice);
        assert.equal((await runningServers())[unit(alice)], warm[unit(alice)], "alice's login started a new server instead of using the warm one");
        assert.match(await python(alice, "print(6 * 7)"), /^42/);

        // Every request the warmer made, as the hub logged it: only the roster's students, only starting and marking active, all allowed.
        const journal = await server.guest.check(["journalctl", "--no-pager", "-o", "cat", "-u", "jupyterhub.service", "--since", since]);
        const requests = journal.split("\n").filter((line) => line.includes("(class-warmer@"));
        assert.ok(requests.some((line) => new RegExp(`20[12] POST /hub/api/users/${bob.login}/server`).test(line)), `the journal shows no start by the warmer:\n${requests.join("\n")}`);
        assert.ok(requests.some((line) => /200 POST \/hub\/api\/users\/\w+\/activity/.test(line)), "the journal shows the warmer never marked a server active");
        const allowed = /\] (200 GET \/hub\/api\/users\/(alice|bob)|(20[12]|400) POST \/hub\/api\/users\/(alice|bob)\/server|200 POST \/hub\/api\/users\/(alice|bob)\/activity) \(class-warmer@/;
        const outside = requests.filter((line) => !allowed.test(line));
        assert.deepEqual(outside, [], "the warmer made requests beyond its role's scopes");
    }, 10 * 60_000);

    step("19a. alice's and bob's servers are on different origins, and a page served by alice's server cannot call bob's", async () => {
        assert.ok(server.perStudentOrigins, "the e2e class must have perStudentOrigins on (its default; Pulumi.e2e.yaml)");
        const { alice, bob, prof } = USERS;
        const directory = String(server.setting("courseDirectory"));
        await serverReady(alice);
        await serverReady(bob);
        const origins = [(await session(alice)).lab, (await session(bob)).lab].map((page) => new URL(page.url()).origin);
        assert.deepEqual(origins, [userOrigin(alice), userOrigin(bob)], "the students' JupyterLab is not on their own host");
        assert.ok(!origins.includes(new URL(server.hubUrl).origin));

        // The victim can open both servers: the instructor (JupyterHub's admin role may access every
        // server), as when grading. In one browser, with a session on bob's server, the instructor
        // opens alice's JupyterLab: a script there (a notebook output's, an extension's) runs with
        // alice's origin.
        const onBobs = await openServerOf(prof, bob);
        const onAlices = await openServerOf(prof, alice);
        const bobsCookies = (await onBobs.context().cookies(`${userOrigin(bob)}/user/${bob.login}/`)).filter((c) => c.name.startsWith("jupyterhub-user-"));
        assert.ok(bobsCookies.length > 0, "the instructor's browser holds no cookie of bob's server");
        assert.deepEqual(bobsCookies.filter((c) => c.domain !== `${bob.login}.${server.hostname}`).map((c) => `${c.name} ${c.domain}`), [],
            "a cookie of bob's server is sent to other hosts");

        const bobsApi = `${userOrigin(bob)}/user/${bob.login}/api`;
        const kernelsBefore = await apiFromPage(onBobs, "GET", `/user/${bob.login}/api/kernels`);
        assert.equal(kernelsBefore.status, 200, `bob's kernels, from bob's origin: ${kernelsBefore.status}`);
        const fromAlices = await crossOriginCalls(onAlices, bobsApi, `/user/${bob.login}/api`);
        // Reading bob's files: fetch() and XHR with credentials fail (no CORS grant for alice's origin).
        assert.ok("error" in fromAlices.read, `alice's page read bob's files: ${JSON.stringify(fromAlices.read)}`);
        assert.ok("error" in fromAlices.xhr, `alice's page read bob's files by XHR: ${JSON.stringify(fromAlices.xhr)}`);
        assert.ok("error" in fromAlices.write, `alice's page wrote to bob's server: ${JSON.stringify(fromAlices.write)}`);
        assert.equal(listing(fromAlices.samePath), undefined, `alice's host gave bob's files to alice's page: ${JSON.stringify(fromAlices.samePath)}`);
        // What was sent anyway (a no-cors POST carries bob's cookie) did nothing.
        const written = await server.guest.exec(["test", "-e", `/srv/classroom/home/jupyter-${bob.login}/from-alice.txt`]);
        assert.notEqual(written.code, 0, "alice's page wrote a file into bob's home");
        const kernelsAfter = await apiFromPage(onBobs, "GET", `/user/${bob.login}/api/kernels`);
        const ids = (answer: { text: string }) => (JSON.parse(answer.text) as { id: string }[]).map((k) => k.id).sort();
        assert.deepEqual(ids(kernelsAfter), ids(kernelsBefore), "alice's page started a kernel in bob's server");

        // The very same calls from bob's own origin, in the same browser, work.
        const fromBobs = await crossOriginCalls(onBobs, bobsApi, `/user/${bob.login}/api`);
        assert.ok(listing(fromBobs.read)?.includes(directory), `bob's origin could not read bob's files: ${JSON.stringify(fromBobs.read)}`);
        assert.ok(listing(fromBobs.xhr)?.includes(directory), `bob's origin could not read bob's files by XHR: ${JSON.stringify(fromBobs.xhr)}`);
        assert.ok(listing(fromBobs.samePath)?.includes(directory), `bob's origin could not read bob's files by path: ${JSON.stringify(fromBobs.samePath)}`);
        await onAlices.close();
        await onBobs.close();
    });

    step("20. a TA opens a student's server and sees their files, is refused the admin-only pages, has no sudo", async () => {
        const { alice, bob, prof, tess } = USERS;
        await serverReady(alice);
        const note = `alice's notes for her TA, ${Date.now()}`;
        const saved = await apiFromPage((await session(alice)).lab, "PUT", `/user/${alice.login}/api/contents/for-my-ta.txt`,
            { type: "file", format: "text", content: note });
        assert.ok([200, 201].includes(saved.status), `saving alice's file: ${saved.status} ${saved.text}`);

        // The TA signs in through the OIDC provider, as a student does; the home page has the class's announcement.
        const ta = await session(tess);
        assert.ok((await ta.hub.textContent("body"))?.includes(String(server.setting("homeAnnouncement"))), "the home page's announcement is missing");

        // The admin page lists the students, and only them.
        const panel = await ta.hub.goto(`${server.hubUrl}/hub/admin`);
        assert.equal(panel?.status(), 200, `the TA's admin page answered ${panel?.status()}`);
        await ta.hub.getByText(alice.login, { exact: true }).first().waitFor({ timeout: 30_000 });
        await ta.hub.screenshot({ path: join(server.resultsDir, "ta-admin-panel.png") });
        const listed = (JSON.parse((await apiFromPage(ta.hub, "GET", "/hub/api/users")).text) as { name: string }[]).map((u) => u.name);
        assert.ok(listed.includes(alice.login) && listed.includes(bob.login), `the TA does not see the students: ${listed.join(", ")}`);
        assert.ok(!listed.includes(prof.login) && !listed.includes(tess.login), `the TA sees the course staff: ${listed.join(", ")}`);

        // The TA opens alice's server: the hub asks them to confirm (it is not their own), then JupyterLab shows alice's files.
        const helping = await ta.context.newPage();
        await helping.goto(`${server.hubUrl}/user/${alice.login}/lab`);
        assert.match(new URL(helping.url()).pathname, /\/hub\/api\/oauth2\/authorize$/, `no consent page before alice's server: ${helping.url()}`);
        await helping.getByText("Authorize access").first().waitFor({ timeout: 30_000 });
        await Promise.all([
            helping.waitForURL((url) => url.pathname.startsWith(`/user/${alice.login}/lab`), { timeout: 90_000 }),
            helping.click("button[type=submit]"),
        ]);
        await helping.waitForSelector("#jp-main-dock-panel", { timeout: 90_000 });
        await helping.screenshot({ path: join(server.resultsDir, "ta-in-alice-lab.png") });
        const file = await apiFromPage(helping, "GET", `/user/${alice.login}/api/contents/for-my-ta.txt?content=1&format=text&type=file`);
        assert.equal(file.status, 200, `the TA reading alice's file: ${file.status} ${file.text}`);
        assert.equal((JSON.parse(file.text) as { content: string }).content, note);
        const listing = (JSON.parse((await apiFromPage(helping, "GET", `/user/${alice.login}/api/contents/`)).text) as { content: { name: string }[] }).content.map((e) => e.name);
        assert.ok(listing.includes(String(server.setting("courseDirectory"))), `alice's home as the TA sees it: ${listing.join(", ")}`);
        await helping.close();

        // Stopping and starting a student's server, as the admin page's buttons do. Step 19's meeting
        // is on, so the class-warmer may start bob's again before the TA does: then the TA's start
        // answers 400 (already started), which the hub gives only past its scope check (403).
        const bobUnit = `jupyter-${bob.login}-singleuser.service`;
        const bobPid = (await runningServers())[bobUnit];
        assert.ok(bobPid, "bob's server is not running (step 19 warmed it)");
        const stopped = await apiFromPage(ta.hub, "DELETE", `/hub/api/users/${bob.login}/server`);
        assert.ok([202, 204].includes(stopped.status), `the TA stopping bob's server: ${stopped.status} ${stopped.text}`);
        await waitFor("bob's server to stop", 60_000, async () => ((await runningServers())[bobUnit] !== bobPid ? true : undefined), 1000);
        const started = await apiFromPage(ta.hub, "POST", `/hub/api/users/${bob.login}/server`);
        assert.ok([201, 202].includes(started.status) || (started.status === 400 && /already|pending/.test(started.text)),
            `the TA starting bob's server: ${started.status} ${started.text}`);
        const bobServer = async () => (JSON.parse((await apiFromPage(ta.hub, "GET", `/hub/api/users/${bob.login}`)).text) as { servers?: Record<string, { ready: boolean }> }).servers?.[""];
        await waitFor("bob's server to be ready", 3 * 60_000, async () => ((await bobServer())?.ready ? true : undefined), 2000);

        // What only an instructor may do: refused.
        const attempts: Record<string, { status: number; text: string }> = {
            "the proxy's routing table": await apiFromPage(ta.hub, "GET", "/hub/api/proxy"),
            "adding a user": await apiFromPage(ta.hub, "POST", "/hub/api/users", { usernames: [USERS.mallory.login] }),
            "making a student an admin": await apiFromPage(ta.hub, "PATCH", `/hub/api/users/${alice.login}`, { admin: true }),
            "a token for a student": await apiFromPage(ta.hub, "POST", `/hub/api/users/${alice.login}/tokens`, {}),
            "the groups": await apiFromPage(ta.hub, "GET", "/hub/api/groups"),
            "joining the course staff's group": await apiFromPage(ta.hub, "POST", "/hub/api/groups/course-staff/users", { users: [alice.login] }),
            "the instructor's server": await apiFromPage(ta.hub, "POST", `/hub/api/users/${prof.login}/server`),
            "shutting the hub down": await apiFromPage(ta.hub, "POST", "/hub/api/shutdown"),
        };
        const allowed = Object.entries(attempts).filter(([, r]) => ![403, 404].includes(r.status)).map(([what, r]) => `${what}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.deepEqual(allowed, [], "the TA was allowed what only an instructor may do");
        await hubAnswers("the hub to be up after the TA's refused requests");

        // The TA's own server is a student's: the same sandbox (no new privileges), no sudo.
        await serverReady(tess);
        const unit = `jupyter-${tess.login}-singleuser.service`;
        assert.match(await server.guest.check(["systemctl", "show", unit, "-p", "NoNewPrivileges"]), /^NoNewPrivileges=yes$/m);
        // The typed line echoes back: what it prints (sudo-exit-<code>-end) is not in it.
        const sudo = await runInTerminal(ta.lab, `/user/${tess.login}`, "sudo -n true; echo \"sudo exit $? end\" | tr ' ' -", "-end");
        const exit = /sudo-exit-(\d+)-end/.exec(sudo)?.[1];
        assert.ok(exit !== undefined && exit !== "0", `sudo in the TA's terminal: ${sudo}`);
        const sudoers = await server.guest.exec(["sudo", "-l", "-U", `jupyter-${tess.login}`]);
        assert.match(sudoers.stdout + sudoers.stderr, /is not allowed to run sudo/, `sudo -l for the TA: ${sudoers.stdout}${sudoers.stderr}`);

        // No SSH either: with a key of theirs in their own ~/.ssh, sshd still refuses them (DenyGroups).
        const since = (await server.guest.check(["date", "--utc", "+%Y-%m-%d %H:%M:%S"])).trim();
        const written = await python(tess, `
import os
ssh = os.path.expanduser("~/.ssh")
os.makedirs(ssh, mode=0o700, exist_ok=True)
path = os.path.join(ssh, "authorized_keys")
with open(path, "w") as keys:
    keys.write(${JSON.stringify(server.sshPublicKey)} + "\\n")
os.chmod(path, 0o600)
print("key written")
`);
        assert.match(written, /key written/);
        const login = await server.ssh(`jupyter-${tess.login}`, ["true"]);
        assert.notEqual(login.code, 0, "the TA logged in over SSH");
        assert.match(login.stderr, /Permission denied/, `the TA's SSH attempt failed, but not by refusal: ${login.stderr}`);
        const sshd = await server.guest.check(["journalctl", "--no-pager", "-o", "cat", "_COMM=sshd", "--since", since]);
        assert.match(sshd, new RegExp(`User jupyter-${tess.login} from \\S+ not allowed because a group is listed in DenyGroups`), sshd);
        await python(tess, "import os; os.remove(os.path.expanduser('~/.ssh/authorized_keys'))");
    }, 10 * 60_000);
    step("21. the instructor releases an assignment; a student fetches it, edits and submits; the instructor collects and autogrades, feedback is returned, the student sees it", async () => {
        const { alice, bob, prof } = USERS;
        const courseId = String(server.setting("courseId") ?? server.setting("subdomain"));
        const course = `/srv/classroom/grading/jupyterhub-grader/${courseId}`;
        const formgraderUrl = `${serviceOrigin("formgrader")}/services/formgrader/formgrader`;

        // The instructor, in the formgrader: "Add new assignment...", then the notebook they wrote,
        // uploaded into the assignment's source folder.
        const formgrader = await (await session(prof)).context.newPage();
        await formgrader.goto(formgraderUrl);
        await formgrader.waitForSelector("text=Manage Assignments", { timeout: 90_000 });
        await formgrader.getByRole("link", { name: "Add new assignment..." }).click();
        await formgrader.locator("#add-assignment-modal input.name").fill("ps1");
        await formgrader.locator("#add-assignment-modal button.save").click();
        await assignmentRow(formgrader).waitFor({ timeout: 60_000 });
        // The row shows at once; the formgrader makes the assignment's source folder when its save returns.
        await waitFor("the formgrader to make ps1's source folder", 60_000, async () =>
            (await server.guest.exec(["test", "-d", `${course}/source/ps1`])).code === 0 ? true : undefined, 1000);
        // The notebook, as JupyterLab's upload sends it: a PUT to the formgrader server's contents API, from its page.
        const uploaded = await apiFromPage(formgrader, "PUT", `/services/formgrader/api/contents/${courseId}/source/ps1/ps1.ipynb`,
            { type: "notebook", format: "json", content: sourceNotebook() });
        assert.equal(uploaded.status, 201, `uploading ps1.ipynb: ${uploaded.status} ${uploaded.text.slice(0, 300)}`);
        assert.equal((await server.guest.exec(["test", "-s", `${course}/source/ps1/ps1.ipynb`])).code, 0, "the notebook is not in ps1's source folder");

        // Generate the student version, then release it: the formgrader's buttons, each confirmed by its success dialog.
        await formgrader.reload();
        await formgraderAction(formgrader, "assign", /Successfully created the student version of 'ps1'/);
        await formgraderAction(formgrader, "release", /Successfully released 'ps1'/);
        await formgrader.screenshot({ path: join(server.resultsDir, "formgrader.png") });
        const peek = await (await session(bob)).context.newPage();
        const refused = await peek.goto(formgraderUrl);
        assert.equal(refused?.status(), 403, `a student reached the formgrader: ${refused?.status()} ${peek.url()}`);
        await peek.close();

        // alice, in JupyterLab's Assignments tab: fetch, edit, submit.
        await serverReady(alice);
        const { lab } = await session(alice);
        const assignments = async () => {
            await lab.locator(".lm-MenuBar-item", { hasText: "Nbgrader" }).click();
            await lab.locator(".lm-Menu-item", { hasText: "Assignment List" }).click();
            return lab.locator("#nbgrader-assignment-list");
        };
        let tab = await assignments();
        await tab.locator("button", { hasText: /^Fetch$/ }).click({ timeout: 60_000 });
        await tab.locator("button", { hasText: /^Submit$/ }).waitFor({ timeout: 60_000 });
        assert.match(await python(alice, [
            "import json, pathlib",
            "path = pathlib.Path('ps1/ps1.ipynb')",
            "nb = json.loads(path.read_text())",
            "print('NotImplementedError' in ''.join(nb['cells'][0]['source']))",
            "nb['cells'][0]['source'] = 'def add(a, b):\\n    return a + b\\n'",
            "path.write_text(json.dumps(nb))",
        ].join("\n")), /^True/, "the fetched notebook is not the student version");
        await tab.locator("button", { hasText: /^Submit$/ }).click();
        const inbound = `/srv/classroom/grading/exchange/${courseId}/inbound`;
        await waitFor("alice's submission in the exchange", 60_000, async () =>
            (await server.guest.check(["ls", inbound])).includes(`jupyter-${alice.login}+ps1+`) ? true : undefined, 2000);
        // Submissions are write-only for students: bob cannot list them.
        await serverReady(bob);
        assert.match(await python(bob, `
import os
try:
    print(os.listdir(${JSON.stringify(inbound)}))
except PermissionError as e:
    print("refused:", e)
`), /^refused:/, "bob listed the submissions");

        // The instructor collects, autogrades alice's submission from its page, then generates and returns the feedback.
        await formgrader.reload();
        await formgraderAction(formgrader, "collect", /Successfully collected submissions of 'ps1'/);
        await formgrader.reload();
        await Promise.all([formgrader.waitForURL(/\/formgrader\/manage_submissions\/ps1$/), assignmentRow(formgrader).locator("td.num-submissions a", { hasText: "1" }).click()]);
        const submission = formgrader.locator("#main-table tr", { hasText: `jupyter-${alice.login}` });
        await submission.locator("td.autograde a").click({ timeout: 60_000 });
        await expectSuccess(formgrader, new RegExp(`Successfully autograded 'ps1' for student 'jupyter-${alice.login}'`));
        await submission.locator("td.score", { hasText: "2 / 2" }).waitFor({ timeout: 60_000 });
        await formgrader.screenshot({ path: join(server.resultsDir, "formgrader-submissions.png") });
        await formgrader.goto(formgraderUrl);
        await formgraderAction(formgrader, "generate-feedback", /Successfully generated feedback of 'ps1'/);
        await formgraderAction(formgrader, "release-feedback", /Successfully released feedback of 'ps1'/);

        // alice fetches her feedback in the Assignments tab and sees it.
        await lab.reload();
        await lab.waitForSelector("#jp-main-dock-panel", { timeout: 90_000 });
        tab = (await lab.locator("#nbgrader-assignment-list").count()) > 0 ? lab.locator("#nbgrader-assignment-list") : await assignments();
        await tab.locator("button", { hasText: "Fetch Feedback" }).click({ timeout: 60_000 });
        await tab.locator("text=(view feedback)").waitFor({ timeout: 60_000 });
        await lab.screenshot({ path: join(server.resultsDir, "alice-assignments.png") });
        assert.match(await python(alice, "import pathlib; print([p.read_text() for p in pathlib.Path('ps1/feedback').glob('*/ps1.html')][0])"),
            /2\.0 \/ 2\.0/, "alice's feedback does not show her score");
    }, 10 * 60_000);

    step("22. a student reads the shared data and cannot write it", async () => {
        const { alice, prof } = USERS;
        const shared = "/srv/classroom/shared";
        const link = String(server.setting("sharedData")) === "true" ? "shared" : String(server.setting("sharedData"));
        // The admin uploads as docs/operations.md says without rsync: scp, then sudo cp, chown, chmod.
        const upload = join(server.privateDir("shared-upload"), "week3");
        mkdirSync(upload);
        writeFileSync(join(upload, "measurements.csv"), "t,v\n0,1.5\n1,2.5\n");
        await server.copyToAdminHome(upload);
        const placed = await server.ssh(server.adminUser, [`sudo cp -r week3 ${shared}/week3 && sudo chown -R root:jupyterhub-course-staff ${shared}/week3`
            + ` && sudo chmod -R g+w,a+rX ${shared}/week3 && rm -r week3`]);
        assert.equal(placed.code, 0, `the admin's upload: ${placed.stderr}`);

        // Course staff write it from their own JupyterLab, through the link in their home.
        await serverReady(prof);
        const { lab: profLab } = await session(prof);
        const note = await apiFromPage(profLab, "PUT", `/user/${prof.login}/api/contents/${link}/week3/README.md`,
            { type: "file", format: "text", content: "Week 3: use measurements.csv\n" });
        assert.ok([200, 201].includes(note.status), `course staff could not write the shared data: ${note.status} ${note.text}`);
        // Theirs, with the staff's group (the folder is setgid), so other staff may replace it.
        const owner = await server.guest.check(["stat", "-c", "%U:%G %a", `${shared}/week3/README.md`, shared]);
        const [file, folder] = owner.trim().split("\n");
        assert.match(file, new RegExp(`^jupyter-${prof.login}:jupyterhub-course-staff 6[46]4$`), `the staff's file: ${file}`);
        assert.equal(folder, "root:jupyterhub-course-staff 2775");

        // The student sees it in JupyterLab's file browser and reads it.
        await serverReady(alice);
        const { lab } = await session(alice);
        await lab.goto(`${server.hubUrl}/user/${alice.login}/lab/tree/${link}/week3`);
        for (const name of ["measurements.csv", "README.md"]) {
            await lab.locator(".jp-DirListing-itemText", { hasText: name }).first().waitFor({ timeout: 60_000 });
        }
        await lab.screenshot({ path: join(server.resultsDir, "alice-shared-data.png") });
        const read = await apiFromPage(lab, "GET", `/user/${alice.login}/api/contents/${link}/week3/measurements.csv?type=file&format=text&content=1`);
        assert.equal(read.status, 200, `alice could not read the shared data: ${read.status} ${read.text}`);
        assert.equal(JSON.parse(read.text).content, "t,v\n0,1.5\n1,2.5\n");

        // She cannot write, replace or delete anything there: not from JupyterLab, not from a kernel.
        const put = await apiFromPage(lab, "PUT", `/user/${alice.login}/api/contents/${link}/week3/mine.csv`,
            { type: "file", format: "text", content: "alice's\n" });
        assert.ok(put.status >= 400, `JupyterLab saved alice's file in the shared data: ${put.status} ${put.text}`);
        const overwrite = await apiFromPage(lab, "PUT", `/user/${alice.login}/api/contents/${link}/week3/measurements.csv`,
            { type: "file", format: "text", content: "changed\n" });
        assert.ok(overwrite.status >= 400, `JupyterLab overwrote the shared data for alice: ${overwrite.status}`);
        const removed = await apiFromPage(lab, "DELETE", `/user/${alice.login}/api/contents/${link}/week3/README.md`);
        assert.ok(removed.status >= 400, `JupyterLab deleted a shared file for alice: ${removed.status}`);
        const attempts = JSON.parse(await python(alice, `
import errno, json, os
out = {"link": os.readlink(${JSON.stringify(link)})}
for name, attempt in [("create", lambda: open(${JSON.stringify(`${link}/week3/kernel.csv`)}, "w")),
                      ("append", lambda: open(${JSON.stringify(`${link}/week3/measurements.csv`)}, "a")),
                      ("delete", lambda: os.remove(${JSON.stringify(`${link}/week3/measurements.csv`)})),
                      ("mkdir", lambda: os.mkdir(${JSON.stringify(`${link}/mine`)})),
                      ("chmod", lambda: os.chmod(${JSON.stringify(`${link}/week3`)}, 0o777))]:
    try:
        attempt()
        out[name] = "done"
    except OSError as e:
        out[name] = errno.errorcode[e.errno]
print(json.dumps(out))
`)) as Record<string, string>;
        assert.equal(attempts.link, shared);
        for (const name of ["create", "append", "delete", "mkdir", "chmod"]) {
            assert.ok(["EACCES", "EPERM", "EROFS"].includes(attempts[name]), `alice's ${name} in the shared data: ${attempts[name]}`);
        }
        const hers = await server.guest.check(["find", shared, "-user", `jupyter-${alice.login}`]);
        assert.equal(hers.trim(), "", `alice's files in the shared data: ${hers}`);
        assert.equal(await server.guest.check(["cat", `${shared}/week3/measurements.csv`]), "t,v\n0,1.5\n1,2.5\n");
    });

    step("23. a pause archives and powers off, a resume brings back every file (byte-identical manifest, as step 11 does)", async () => {
        const { alice, prof } = USERS;
        await python(alice, `open("before-the-break.md", "w").write("alice's last notes of the term\\n")`);
        // The term is over: its meetings leave the schedule. Step 19's meeting would otherwise
        // still be on, and the class-warmer would start alice's server, updating her course copy's
        // git records, between the manifests this step compares.
        await server.deliverBundle(await server.renderChanged("term-over", () => {}));
        await hubAnswers("the hub to answer after classroom-apply delivered the schedule without meetings");
        const admin = (await session(prof)).hub;
        await stopEveryServer(admin);
        const homes = await server.homesManifest();
        const shared = await server.homesManifest("/srv/classroom/shared");
        assert.ok(homes.some((e) => e.path === `jupyter-${alice.login}/before-the-break.md`), "alice's notes are not in her home");
        assert.ok(shared.some((e) => e.path === "week3/measurements.csv"), "the shared data is not on the volume");
        // Step 12 left the server on the new class's volume: the pause keeps whichever it has.
        const volume = server.attachedVolume;
        const uuid = await volume.uuid();

        // paused: true — HubArchive's delete runs the archive, then the Droplet goes.
        const archive = await server.pause(server.privateDir("pause-archives"));
        const members = (await check("tar", ["-tzf", archive])).split("\n");
        for (const member of ["hub/jupyterhub.sqlite", `home/jupyter-${alice.login}/before-the-break.md`, "shared/week3/measurements.csv", "shared/week3/README.md"]) {
            assert.ok(members.includes(member), `the pause's archive lacks ${member}`);
        }
        const answered = await request(target(), `${server.hubUrl}/hub/health`).then((r) => `HTTP ${r.status}`, () => undefined);
        assert.equal(answered, undefined, `the paused class still answers: ${answered}`);

        // paused: false — a new server on the same volume.
        await server.resume();
        const install = await server.guest.check(["cat", "/var/log/cloud-init-output.log"]);
        assert.ok(!install.includes("formatting the new, empty volume"), "the resume formatted the students' volume");
        assert.match(install, new RegExp(`the students' volume \\S+ holds ext4 file system ${uuid}`));
        assert.equal(await volume.uuid(), uuid);
        // Before anyone logs in: every entry, byte for byte, with the same ids, modes and times.
        const comparable = (e: HomeEntry) => ({ ...e, user: undefined, group: undefined });
        assert.deepEqual(differences(homes.map(comparable), (await server.homesManifest()).map(comparable)), [],
            "the homes after the resume are not as they were");
        assert.deepEqual(differences(shared.map(comparable), (await server.homesManifest("/srv/classroom/shared")).map(comparable)), [],
            "the shared data after the resume is not as it was");

        await freshBrowser();
        await serverReady(alice);
        const seen = await python(alice, `print(open("before-the-break.md").read() + open("shared/week3/measurements.csv").read())`);
        assert.match(seen, /alice's last notes of the term/);
        assert.match(seen, /0,1\.5/);
    }, 15 * 60_000);
});

/**
 * Opens `owner`'s JupyterLab in a new page of `viewer`'s browser session, confirming the hub's
 * "Authorize access" page that another user's server asks for; returns once the page is on it.
 */
async function openServerOf(viewer: TestUser, owner: TestUser): Promise<Page> {
    const page = await (await session(viewer)).context.newPage();
    const onLab = (url: URL) => url.origin === userOrigin(owner) && url.pathname.startsWith(`/user/${owner.login}/lab`);
    await page.goto(`${userOrigin(owner)}/user/${owner.login}/lab`);
    await page.waitForURL((url) => onLab(url) || url.pathname.endsWith("/hub/api/oauth2/authorize"), { timeout: 60_000 });
    if (!onLab(new URL(page.url()))) {
        await Promise.all([page.waitForURL(onLab, { timeout: 60_000 }), page.getByRole("button", { name: "Authorize" }).click()]);
    }
    return page;
}

/** The instructor's notebook: a function to write (its solution hidden from students) and a 2-point test. */
function sourceNotebook(): unknown {
    const cell = (source: string, id: string, nbgrader: Record<string, unknown>) => ({
        cell_type: "code", execution_count: null, id, outputs: [], source,
        metadata: { nbgrader: { grade: false, solution: false, locked: false, task: false, grade_id: id, schema_version: 3, ...nbgrader } },
    });
    return {
        nbformat: 4, nbformat_minor: 5,
        metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
        cells: [
            cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n", "add", { solution: true }),
            cell("assert add(1, 2) == 3\n", "test_add", { grade: true, locked: true, points: 2 }),
        ],
    };
}

/** The formgrader's Manage Assignments row of ps1. */
function assignmentRow(formgrader: Page) {
    return formgrader.locator("#main-table tr", { has: formgrader.locator("td.name", { hasText: /^ps1$/ }) });
}

/** Clicks the button in ps1's `column` of Manage Assignments and waits for the success dialog saying `done`. */
async function formgraderAction(formgrader: Page, column: string, done: RegExp): Promise<void> {
    await assignmentRow(formgrader).locator(`td.${column} a`).click({ timeout: 60_000 });
    await expectSuccess(formgrader, done);
}

/** The formgrader's dialog after an action: "Success" with `done` in it (its error dialog fails the step with nbgrader's log), closed with OK. */
async function expectSuccess(formgrader: Page, done: RegExp): Promise<void> {
    const dialog = formgrader.locator("#success-modal, #error-modal");
    await dialog.waitFor({ timeout: 5 * 60_000 });
    const text = ((await dialog.textContent()) ?? "").replace(/\s+/g, " ");
    assert.match(text, done, `the formgrader said: ${text.slice(0, 3000)}`);
    await dialog.locator("button", { hasText: "OK" }).click();
    await dialog.waitFor({ state: "detached", timeout: 30_000 });
}

type CallOutcome = { status: number; text: string } | { error: string; status?: number };

/** What the in-page code uses of the browser besides fetch (the project's TypeScript has no DOM types). */
interface InPageXhr {
    readonly document: { readonly cookie: string };
    readonly XMLHttpRequest: new () => {
        withCredentials: boolean;
        status: number;
        responseText: string;
        onload: () => void;
        onerror: () => void;
        open(method: string, url: string): void;
        setRequestHeader(name: string, value: string): void;
        send(): void;
    };
}

/**
 * From inside `page`, with the browser's cookies, the calls a hostile script makes on another
 * server: read its files (fetch and XHR with credentials, and by path on the page's own host), write
 * a file into it (a JSON PUT) and start a kernel (a no-cors POST: a simple request the browser sends).
 * Each call but the no-cors one carries the page's own `_xsrf` cookie as `X-XSRFToken`, as
 * JupyterLab sends it: JupyterHub's servers ignore a cookie login without it, even on GET.
 */
function crossOriginCalls(page: Page, api: string, apiPath: string): Promise<Record<"read" | "xhr" | "write" | "kernel" | "samePath", CallOutcome>> {
    // No named functions inside: tsx would wrap them in a helper the page does not have.
    return page.evaluate(async ({ api, apiPath }) => {
        const { XMLHttpRequest, document } = globalThis as unknown as InPageXhr;
        const xsrf = decodeURIComponent(/(?:^|; )_xsrf=([^;]*)/.exec(document.cookie)?.[1] ?? "");
        const headers: Record<string, string> = xsrf ? { "x-xsrftoken": xsrf } : {};
        const xhr = await new Promise<CallOutcome>((resolve) => {
            const request = new XMLHttpRequest();
            request.open("GET", `${api}/contents`);
            request.withCredentials = true;
            if (xsrf) request.setRequestHeader("x-xsrftoken", xsrf);
            request.onload = () => resolve({ status: request.status, text: request.responseText.slice(0, 2000) });
            request.onerror = () => resolve({ error: "XMLHttpRequest failed", status: request.status });
            request.send();
        });
        const read = await fetch(`${api}/contents`, { credentials: "include", headers })
            .then(async (res): Promise<CallOutcome> => ({ status: res.status, text: (await res.text()).slice(0, 2000) }), (err): CallOutcome => ({ error: String(err) }));
        const write = await fetch(`${api}/contents/from-alice.txt`, {
            method: "PUT", credentials: "include", headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify({ type: "file", format: "text", content: "alice was here" }),
        }).then(async (res): Promise<CallOutcome> => ({ status: res.status, text: (await res.text()).slice(0, 2000) }), (err): CallOutcome => ({ error: String(err) }));
        const kernel = await fetch(`${api}/kernels`, { method: "POST", credentials: "include", mode: "no-cors", body: "{}" })
            .then(async (res): Promise<CallOutcome> => ({ status: res.status, text: (await res.text()).slice(0, 2000) }), (err): CallOutcome => ({ error: String(err) }));
        const samePath = await fetch(`${apiPath}/contents`, { credentials: "include", headers })
            .then(async (res): Promise<CallOutcome> => ({ status: res.status, text: (await res.text()).slice(0, 2000) }), (err): CallOutcome => ({ error: String(err) }));
        return { read, xhr, write, kernel, samePath };
    }, { api, apiPath });
}

/** The names a contents API answer lists, or undefined when the call did not list a directory. */
function listing(outcome: CallOutcome): string[] | undefined {
    if ("error" in outcome || outcome.status !== 200) return undefined;
    try {
        const content = (JSON.parse(outcome.text) as { content?: unknown }).content;
        return Array.isArray(content) ? content.map((entry: { name: string }) => entry.name) : undefined;
    } catch {
        return undefined;
    }
}

/** What differs between two lists of home entries, one line per entry: empty when they are equal. */
function differences(expected: readonly { path: string }[], actual: readonly { path: string }[]): string[] {
    const text = (entry: object) => JSON.stringify(entry);
    const found = new Map(actual.map((e) => [e.path, e]));
    const lines: string[] = [];
    for (const entry of expected) {
        const now = found.get(entry.path);
        if (!now) lines.push(`missing ${text(entry)}`);
        else if (text(now) !== text(entry)) lines.push(`changed ${text(entry)} → ${text(now)}`);
        found.delete(entry.path);
    }
    for (const entry of found.values()) lines.push(`added ${text(entry)}`);
    return lines;
}

/** JupyterHub's and systemd's sizes: 1G is 1024³ bytes. */
function bytes(size: string): number {
    const [, amount, unit] = /^([\d.]+)([KMGT])$/.exec(size)!;
    return Math.round(Number(amount) * 1024 ** ("KMGT".indexOf(unit) + 1));
}

interface InPageStyle { getComputedStyle(element: unknown): { backgroundColor: string } }

function rgb(hex: string): string {
    const h = hex.replace("#", "");
    const full = h.length === 3 ? [...h].map((c) => c + c).join("") : h;
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
    return `rgb(${r}, ${g}, ${b})`;
}

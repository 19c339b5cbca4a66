// The project's main proof: the exact user-data the stack renders, booted on a local Debian 12
// "Droplet", used through Traefik, a real ACME CA, a real OAuth login and a real browser.
// Run with `npm run test:e2e` (root); see docs/testing.md.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Browser, BrowserContext, Page } from "playwright-core";
import { apiFromPage, launchBrowser, runInKernel, signIn } from "./browser";
import { notebook } from "./git-server";
import { ClassServer, HomeEntry, USERS } from "./harness";
import { request, servedCertificate } from "./https-client";
import { TestUser } from "./oidc-provider";
import { check, sleep, waitFor } from "./process";

const server = new ClassServer();
/** The project's own units, as installed from cloud-init/systemd/. */
const OUR_UNITS = readdirSync(join(__dirname, "../../cloud-init/systemd")).filter((f) => /\.(service|timer|mount|socket)$/.test(f));
const HUB_UNITS = ["jupyterhub.service", "traefik.service"];

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

const target = () => ({ hostname: server.hostname, address: server.network.guestAddress, ca: server.issuingRoot });

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
    const named = (args: string) => (/jupyterhub_idle_culler/.test(args) ? "idle-culler" : /classroom_hub\.warmer/.test(args) ? "class-warmer" : args);
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
    assert.ok(!answer.url.includes(`/user/${user.login}`), `${user.login} reached ${answer.url}`);
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
            assert.equal(state, "active", `${unit} is ${state}`);
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

    step("6. a user not on the roster is refused; an admin reaches the admin panel", async () => {
        const { mallory, prof } = USERS;
        assertRefused(mallory, await refusedSignIn(mallory));

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
        assert.deepEqual(await hubProcesses(), ["class-warmer", "idle-culler"], "the restarts left processes of an earlier hub behind");

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

    step("13. a class meeting's lead time warms the roster's servers; the culler leaves them alone during the meeting; a student finds theirs running; the warmer used only its scopes", async () => {
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
});

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

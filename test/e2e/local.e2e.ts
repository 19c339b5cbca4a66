// `npm run local` end to end, as an instructor runs it on a clean clone: `pulumi up` of the example
// class (Pulumi.dev.yaml, the default) under the real engine, sign in as a roster student in Chromium
// through the printed URL, browser flag and test login, see the course files, save a file, Ctrl-C
// (`pulumi destroy`: the student's file is in the archive); nothing may be left behind, and a second
// run (stopped with `npm run local -- --stop`) finds the student's file.
// Run with `npm run test:local` (root); see docs/testing.md.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { check, run, waitFor } from "../../localServer/process";
import { apiFromPage, signIn } from "./browser";

const PROJECT = resolve(__dirname, "../..");
const LOCK = "/run/lock/jhc-e2e.lock";
const work = mkdtempSync(join(tmpdir(), "jhc-local-test-"));
const clone = join(work, "clone");
const stateRoot = join(work, "state");
const STUDENT_FILE = "kept-by-the-volume.txt";
const STUDENT_TEXT = `written in the first run, ${new Date().toISOString()}\n`;

/** What `npm run local` printed when ready. */
interface Ready {
    readonly hubUrl: string;
    readonly chromiumFlags: string[];
    readonly login: { readonly user: string; readonly password: string };
    readonly standInCourse: boolean;
}

/** Every run started, so that a failed test still stops its class and frees the lock for the next. */
const started: LocalRun[] = [];

/** A running `npm run local`, in a process group of its own as a terminal runs it. */
class LocalRun {
    output = "";
    readonly exited: Promise<number | null>;
    private readonly child: ChildProcess;

    constructor(args: string[] = []) {
        this.child = spawn("npm", ["run", "local", "--", "--state-dir", stateRoot, ...args], { cwd: clone, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        this.child.stdout!.on("data", (d: Buffer) => { this.output += d.toString(); });
        this.child.stderr!.on("data", (d: Buffer) => { this.output += d.toString(); });
        this.exited = new Promise((done) => this.child.on("exit", (code) => done(code)));
        started.push(this);
    }

    get running(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }

    get pid(): number { return this.child.pid!; }

    async ready(): Promise<Ready> {
        // Long: the boot may queue behind other runs for the lock.
        await waitFor("npm run local to print that the class is ready", 150 * 60_000, async () => {
            if (this.child.exitCode !== null) throw new Error(`npm run local exited ${this.child.exitCode}:\n${this.output}`);
            return this.output.includes("  stop:") ? true : undefined;
        }, 1000).catch((err: Error) => { throw new Error(`${err.message}\n${this.output}`); });
        const line = (pattern: RegExp) => {
            const match = pattern.exec(this.output);
            assert.ok(match, `npm run local printed no line matching ${pattern}:\n${this.output}`);
            return match;
        };
        const students = [...this.output.matchAll(/^ {4}login: (\S+) (\S+)$/gm)];
        assert.ok(students.length > 0, `no student login printed:\n${this.output}`);
        return {
            hubUrl: line(/^ {2}hub URL: +(https:\/\/\S+)$/m)[1],
            chromiumFlags: line(/^ {4}Chromium: +chromium (--host-resolver-rules="[^"]+") (--ignore-certificate-errors-spki-list=\S+)/m).slice(1, 3)
                .map((flag) => flag.replace(/"/g, "")),
            login: { user: students[0][1], password: students[0][2] },
            standInCourse: /course: +a LOCAL STAND-IN repository/.test(this.output),
        };
    }

    /** Ctrl-C in the terminal: SIGINT to the whole process group. */
    interrupt(): void { process.kill(-this.pid, "SIGINT"); }

    /** Waits for the run's end and its last line, which says everything is torn down. */
    async stopped(): Promise<void> {
        await this.exited;
        await waitFor("npm run local's teardown to finish", 5 * 60_000, async () => (this.output.includes("stopped; the students' files are in") ? true : undefined))
            .catch((err: Error) => { throw new Error(`${err.message}\n${this.output.slice(-3000)}`); });
    }
}

/** Signs in through the printed URL and test login, starts the student's server, returns its contents API base. */
async function asStudent<T>(ready: Ready, work: (api: (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }>) => Promise<T>): Promise<T> {
    const browser = await chromium.launch({
        executablePath: "/usr/bin/chromium", headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", ...ready.chromiumFlags],
    });
    try {
        const page = await (await browser.newContext()).newPage();
        await page.goto(`${ready.hubUrl}/hub/login`);
        assert.match((await page.textContent("body")) ?? "", /ENGR 101: Programming for Engineers/, "the class's own login page");
        await signIn(page, ready.hubUrl, { login: ready.login.user, password: ready.login.password, email: "", name: "" });
        const hubUser = ready.login.user.toLowerCase().split("@")[0];
        await page.goto(`${ready.hubUrl}/hub/spawn/${hubUser}`);
        await page.waitForURL((url) => url.pathname.startsWith(`/user/${hubUser}/lab`), { timeout: 3 * 60_000 });
        await page.waitForSelector("#jp-main-dock-panel", { timeout: 90_000 });
        return await work((method, path, body) => apiFromPage(page, method, `/user/${hubUser}/api/contents/${path}`, body));
    } finally {
        await browser.close();
    }
}

/** Everything a run could leave on this machine. */
async function leftBehind(): Promise<string[]> {
    const left: string[] = [];
    const netns = (await check("ip", ["netns", "list"])).split("\n").filter((l) => l.startsWith("jhc-e2e"));
    if (netns.length) left.push(`network namespaces: ${netns.join(", ")}`);
    const mounts = (await check("findmnt", ["-rn", "-o", "TARGET,SOURCE"])).split("\n").filter((l) => /jhc-e2e|jupyterhub-classroom-e2e|jhc-local-test/.test(l));
    if (mounts.length) left.push(`mounts: ${mounts.join(", ")}`);
    const loops = (await check("losetup", ["--list", "--noheadings", "--output", "NAME,BACK-FILE"])).split("\n").filter((l) => l.includes(work));
    if (loops.length) left.push(`loop devices: ${loops.join(", ")}`);
    const processes = (await check("ps", ["-eo", "pid=,args="])).split("\n")
        .filter((l) => /systemd-nspawn|pebble|bin\/local\.ts|pulumi/.test(l) || l.includes(clone))
        .filter((l) => !l.includes("ps -eo"));
    if (processes.length) left.push(`processes: ${processes.join(" | ")}`);
    const link = await run("ip", ["link", "show", "jhc-e2e-host"]);
    if (link.code === 0) left.push("the veth jhc-e2e-host");
    return left;
}

/** Runs `work` holding the boot lock, so that no other run's network is taken for this one's leftovers. */
async function underLock<T>(work: () => Promise<T>): Promise<T> {
    const fd = openSync(LOCK, "a");
    const locked = await new Promise<number | null>((done) => spawn("flock", ["-w", "3600", "3"], { stdio: ["ignore", "inherit", "inherit", fd] }).on("exit", done));
    assert.equal(locked, 0, `could not take ${LOCK}`);
    try {
        return await work();
    } finally {
        closeSync(fd);
    }
}

describe("npm run local on a clean clone", () => {
    after(async () => {
        for (const left of started.filter((r) => r.running)) {
            left.interrupt();
            await left.exited;
        }
        rmSync(work, { recursive: true, force: true });
    });

    it("boots the class, lets a roster student in, and leaves nothing but the students' volume when stopped", { timeout: 6 * 60 * 60_000 }, async () => {
        await check("git", ["clone", "--quiet", PROJECT, clone]);
        // The clone gets this checkout's installed packages (hard links), as `npm ci` would install them.
        await check("cp", ["-al", join(PROJECT, "node_modules"), join(clone, "node_modules")]);

        const first = new LocalRun();
        const ready = await first.ready();
        assert.match(first.output, /cloud-init: modules-final|jupyterhub-classroom install: done/, "progress lines of the boot");
        assert.match(first.output, /certificate: DNS:engr101\.example\.edu, DNS:\*\.engr101\.example\.edu, issued by/, "the certificate's progress line: the hub's name and the students' wildcard");
        assert.match(first.output, /local OpenID Connect provider stands in/, "the output says the identity provider is swapped");
        assert.match(first.output, /pulumi up \(the real engine[^]*Resources:\s+\+ \d+ created/, "`pulumi up`'s own output, under the real engine");
        await asStudent(ready, async (api) => {
            const course = await api("GET", "engr101");
            assert.equal(course.status, 200, `the course directory: ${course.status} ${course.text}`);
            const names = (JSON.parse(course.text) as { content: { name: string }[] }).content.map((e) => e.name);
            // Pulumi.dev.yaml's repository is made up (and CI reaches only the package registries).
            assert.ok(ready.standInCourse, `expected the stand-in course (GitHub is unreachable here):\n${first.output}`);
            assert.deepEqual(names.sort(), ["README.md", "welcome.ipynb"], "the stand-in course's files in the student's home");
            const saved = await api("PUT", STUDENT_FILE, { type: "file", format: "text", content: STUDENT_TEXT });
            assert.equal(saved.status, 201, `saving the student's file: ${saved.status} ${saved.text}`);
        });

        first.interrupt();
        await first.stopped();
        assert.match(first.output, /pulumi destroy[^]*Resources:\s+- \d+ deleted/, "Ctrl-C runs `pulumi destroy`");
        const archives = existsSync(join(clone, "archives")) ? readdirSync(join(clone, "archives")).filter((f) => /^dev-.*\.tar\.gz$/.test(f)) : [];
        assert.equal(archives.length, 1, `pulumi destroy archives the homes into the project's archives/ first:\n${first.output.slice(-3000)}`);
        assert.match(await check("tar", ["-tzf", join(clone, "archives", archives[0])]), new RegExp(`/${STUDENT_FILE.replace(/\./g, "\\.")}$`, "m"), "the student's file is in the archive");
        assert.deepEqual(await underLock(leftBehind), [], "left behind after Ctrl-C");
        assert.ok(existsSync(join(stateRoot, "dev", "students-volume.img")), "the students' volume is kept");

        const second = new LocalRun();
        const again = await second.ready();
        assert.match(second.output, /students' volume: .*, as the last run left it/);
        await asStudent(again, async (api) => {
            const file = await api("GET", `${STUDENT_FILE}?content=1&format=text&type=file`);
            assert.equal(file.status, 200, `the student's file after a second run: ${file.status} ${file.text}`);
            assert.equal((JSON.parse(file.text) as { content: string }).content, STUDENT_TEXT);
        });

        const stopper = await run("npm", ["run", "--silent", "local", "--", "--stop"], { cwd: clone, timeoutMs: 6 * 60_000 });
        assert.equal(stopper.code, 0, `npm run local -- --stop: ${stopper.stderr}${stopper.stdout}`);
        await second.stopped();
        assert.deepEqual(await underLock(leftBehind), [], "left behind after npm run local -- --stop");
    });
});

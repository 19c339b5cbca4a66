// See your class on this machine before paying for a Droplet, with no account: `pulumi up` itself —
// the real Pulumi engine running the stack's program — against a local cloud whose Droplet is a local
// server booted from the user-data the engine sent (localServer/localCloud.ts); Ctrl-C runs
// `pulumi destroy` (the homes archived into archives/ first) and tears the local cloud down:
//   npm run local [-- --config Pulumi.<class>.yaml] [--fresh] [--state-dir DIR]
//   npm run local -- --stop            (from another shell; Ctrl-C does the same)
// Root, Linux with systemd-nspawn, Go (the engine is built once, tools/engine/build.sh); see README.md,
// "See your class locally".
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ClassConfig, ClassConfigError, parseClassConfig } from "../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../lib/config/stack";
import { ClassServer } from "../localServer/classServer";
import { servedCertificate } from "../localServer/https-client";
import { LocalClass, LocalCourse, localClass } from "../localServer/localClass";
import { LocalCloud } from "../localServer/localCloud";
import { buildToolchain } from "../test/engine/toolchain";
import { run, sleep } from "../localServer/process";

const USAGE = "usage: npm run local [-- --config Pulumi.<class>.yaml] [--fresh] [--state-dir DIR] | npm run local -- --stop";
/** The lock every boot of a local server takes (the e2e test's too): they share the network's names and addresses. */
const LOCK = "/run/lock/jhc-e2e.lock";
/** The running local server's process, for --stop. */
const PID_FILE = "/run/jupyterhub-classroom-local.pid";
const DEFAULT_STATE_ROOT = "/var/lib/jupyterhub-classroom-local";
/** Test logins printed in full; a longer roster's go to the logins file only. */
const PRINTED_LOGINS = 8;

/** A problem with the command line or the machine: exit 2, message only. */
class InputError extends Error {}

const started = Date.now();
const say = (line: string) => console.log(`[${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s] ${line}`);

function readStack(configPath: string): { cfg: ClassConfig; stack: string } {
    const stack = /^Pulumi\.([^.]+)\.yaml$/.exec(basename(configPath))?.[1];
    if (!stack) throw new InputError(`${configPath}: expected a stack settings file named Pulumi.<stack>.yaml`);
    let text: string;
    try {
        text = readFileSync(configPath, "utf8");
    } catch (err) {
        throw new InputError(`cannot read ${configPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    let raw: Record<string, unknown>;
    try {
        raw = rawClassConfigFromStackFile(text);
    } catch (err) {
        throw new InputError(`${configPath}: ${(err as Error).message}`);
    }
    // As the Pulumi program reads it (preview's messages), roster paths relative to the stack file.
    return { cfg: parseClassConfig(raw, (path) => readFileSync(resolve(dirname(configPath), path), "utf8")), stack };
}

/**
 * Takes the boot lock for as long as this process lives: flock(1) locks the open file this process
 * holds (the lock belongs to the open file, not to the short-lived flock process).
 */
async function takeLock(): Promise<void> {
    const fd = openSync(LOCK, "a");
    const flock = (args: string[]) => new Promise<number | null>((done, fail) => {
        const child = spawn("flock", [...args, "3"], { stdio: ["ignore", "inherit", "inherit", fd] });
        child.on("error", fail);
        child.on("exit", done);
    });
    if (await flock(["-n"]) === 0) return;
    say(`waiting for another local server or e2e run to end (${LOCK})`);
    if (await flock(["-w", "3600"]) !== 0) throw new InputError(`${LOCK} stayed taken for an hour`);
}

/** The configured course repository if this machine can read it, otherwise why not. */
async function localCourse(cfg: ClassConfig): Promise<LocalCourse> {
    if (!cfg.course) return { kind: "none" };
    if (cfg.course.hasToken) return { kind: "stand-in", reason: "it is private, and its token is encrypted in the stack" };
    const probe = await run("git", ["ls-remote", "--exit-code", "--heads", cfg.course.repositoryUrl, cfg.course.branch], {
        timeoutMs: 20_000, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    });
    if (probe.code === 0) return { kind: "configured" };
    const why = probe.stderr.trim().split("\n").find(Boolean) ?? `git ls-remote exited ${probe.code}`;
    return { kind: "stand-in", reason: `unreachable from here: ${why}` };
}

/** Chromium's resolver rules: the hub's host and, with perStudentOrigins, every student's host below it. */
function resolverRules(hostname: string, address: string, perStudentOrigins: boolean): string {
    return perStudentOrigins ? `MAP ${hostname} ${address},MAP *.${hostname} ${address}` : `MAP ${hostname} ${address}`;
}

function printReady(server: ClassServer, local: LocalClass, files: { root: string; logins: string; volume: string }, spki: string, cfg: ClassConfig, course: LocalCourse): void {
    const address = server.network.guestAddress;
    const shown = local.logins.filter((l) => l.admin).concat(local.logins.filter((l) => !l.admin)).slice(0, PRINTED_LOGINS);
    const lines = [
        "",
        `Your class is ready on this machine: ${cfg.loginPage.title}`,
        `  hub URL:      ${server.hubUrl}`,
        `  address:      ${address}, reachable from this machine only; for your browser, either`,
        `    hosts file: ${address} ${server.hostname}          (a line for /etc/hosts${server.perStudentOrigins ? `; each student's server is at <name>.${server.hostname}, which needs a name of its own there` : ""})`,
        `    Chromium:   chromium --host-resolver-rules="${resolverRules(server.hostname, address, server.perStudentOrigins)}" --ignore-certificate-errors-spki-list=${spki} ${server.hubUrl}`,
        `  certificate:  from the local ACME CA; its root, to import in the browser: ${files.root}`,
        `  log in with:  the local OpenID Connect provider (standing in for the class's ${cfg.auth.provider}); one-time passwords:`,
        ...shown.map((l) => `    login: ${l.login} ${l.password}${l.admin ? " (admin)" : ""}`),
        ...(local.logins.length > shown.length ? [`    … all ${local.logins.length} in ${files.logins}`] : []),
        `  course:       ${course.kind === "configured" ? cfg.course!.repositoryUrl : course.kind === "stand-in" ? "a LOCAL STAND-IN repository with a notebook (see above why)" : "none configured"}`,
        `  students' files: kept in ${files.volume} (the next run finds them; --fresh starts over)`,
        `  logs:         ${server.resultsDir} (console-1.log: the server's console; host/: the CA, DNS)`,
        `  stop:         Ctrl-C here, or \`npm run local -- --stop\` from another shell`,
    ];
    console.log(lines.join("\n"));
}

async function stopRunning(): Promise<void> {
    const pid = existsSync(PID_FILE) ? Number(readFileSync(PID_FILE, "utf8").trim()) : 0;
    const alive = (p: number) => p > 0 && existsSync(`/proc/${p}`) && readFileSync(`/proc/${p}/cmdline`, "utf8").includes("bin/local.ts");
    if (!alive(pid)) {
        console.log("no local class server is running");
        return;
    }
    process.kill(pid, "SIGINT");
    console.log(`stopping the local class server (process ${pid})…`);
    const deadline = Date.now() + 5 * 60_000;
    while (alive(pid)) {
        if (Date.now() > deadline) throw new Error(`process ${pid} is still running after 5 minutes`);
        await sleep(500);
    }
    console.log("stopped");
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            config: { type: "string", default: "Pulumi.dev.yaml" },
            fresh: { type: "boolean", default: false },
            stop: { type: "boolean", default: false },
            "state-dir": { type: "string", default: DEFAULT_STATE_ROOT },
        },
    });
    if (values.stop) {
        await stopRunning();
        return 0;
    }
    // `npm run` starts scripts in the project directory; paths are meant from where it was called.
    const base = process.env.npm_lifecycle_event === "local" ? process.env.INIT_CWD ?? process.cwd() : process.cwd();
    const configPath = resolve(base, values.config!);
    // Bad config stops here, before anything boots, with `pulumi preview`'s messages.
    const { cfg, stack } = readStack(configPath);
    if (process.getuid?.() !== 0) throw new InputError("npm run local boots a container with its own network: run it as root");

    await takeLock();
    const stateDir = join(resolve(base, values["state-dir"]!), stack);
    if (values.fresh) rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const logs = join(stateDir, "logs");
    rmSync(logs, { recursive: true, force: true });
    // The stack's state lives as long as its local cloud: one run.
    const engineDir = join(stateDir, "engine");
    rmSync(engineDir, { recursive: true, force: true });
    mkdirSync(engineDir, { mode: 0o700 });
    const files = { volume: join(stateDir, "students-volume.img"), root: join(stateDir, "local-acme-root.pem"), logins: join(stateDir, "test-logins.txt") };
    const existing = existsSync(files.volume);
    writeFileSync(PID_FILE, `${process.pid}\n`);

    say(`${stack}: ${cfg.hostname} from ${configPath}`);
    const course = await localCourse(cfg);
    const local = localClass(cfg, course);
    say("what differs from the class on a Droplet:");
    for (const line of local.differences) console.log(`    - ${line}`);
    say(existing ? `students' volume: ${files.volume}, as the last run left it` : `students' volume: a new, blank one in ${files.volume}`);

    const server = new ClassServer({
        stack, stackFile: configPath, change: local.change, users: local.logins, courseFiles: local.courseFiles,
        resultsDir: logs, keptVolume: files.volume, progress: say, stopOnSignals: false,
    });
    let cloud: LocalCloud | undefined;
    // Ctrl-C (the whole process group), SIGTERM or --stop: `pulumi destroy` once `up` is done (the
    // homes archived first), then tear down what is built; a start still under way ends at its next step.
    let stopping: Promise<void> | undefined;
    let booting: Promise<unknown> = Promise.resolve();
    let upDone = false;
    const stop = (why: string): Promise<void> => {
        stopping ??= (async () => {
            if (cloud && upDone) {
                say(`${why}: pulumi destroy (the students' homes are archived into archives/ first)…`);
                const destroy = await cloud.workspace.operation("destroy", echo).catch((err: Error) => ({ error: err.message }));
                if (destroy.error) say(`pulumi destroy failed: ${destroy.error}`);
            }
            say(`${why}: tearing everything down (the students' volume stays)…`);
            await server.stop();
            await booting.catch(() => undefined);
            await (cloud ? cloud.stop() : server.stop());
            rmSync(PID_FILE, { force: true });
            say(`stopped; the students' files are in ${files.volume}`);
        })();
        return stopping;
    };
    const onSignal = (signal: NodeJS.Signals) => void stop(signal).then(() => process.exit(0));
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const forever = new Promise<number>(() => undefined);
    const echo = (text: string) => { process.stdout.write(text.replace(/^(?=.)/gm, "    ")); };
    try {
        booting = (async () => {
            say("the Pulumi engine and its plugins (tools/engine/build.sh; the first build takes about 12 minutes, later runs reuse it)");
            const toolchain = buildToolchain();
            if (toolchain.missingPlugins.length) {
                throw new Error(`tools/engine/build.sh could not build ${toolchain.missingPlugins.join(", ")}:\n${[...toolchain.blocked.values()].join("\n")}`);
            }
            cloud = await LocalCloud.start({ server, stack, toolchain, workDir: engineDir });
            say("pulumi up (the real engine, against the local cloud)");
            const up = await cloud.workspace.operation("up", echo);
            if (up.error) throw new Error(`pulumi up failed: ${up.error}`);
            upDone = true;
            if (cloud.problems().length) throw new Error(`the local cloud refused calls the real APIs would refuse:\n${cloud.problems().join("\n")}`);
        })();
        await booting;
        const served = await servedCertificate({ hostname: server.hostname, address: server.network.guestAddress, ca: server.issuingRoot });
        if (!served.trusted) throw new Error(`the served certificate does not verify against the local CA's root: ${served.verifyError}`);
        say(`certificate: ${served.subjectAltName}, issued by ${served.issuer.replace(/\n/g, ", ")}`);
        writeFileSync(files.root, server.issuingRoot, { mode: 0o644 });
        writeFileSync(files.logins, local.logins.map((l) => `${l.login} ${l.password}${l.admin ? " admin" : ""}\n`).join(""), { mode: 0o600 });
        if (stopping) return forever;
        printReady(server, local, files, served.spkiSha256, cfg, course);
    } catch (err) {
        if (stopping) return forever;
        console.error(`\nthe local server did not come up: ${(err as Error).message}\n${await server.diagnostics(["jupyterhub.service", "traefik.service"])}`);
        await stop("failed");
        return 1;
    }
    // Runs until a signal: its handler ends the process.
    return forever;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: Error) => {
    if (err instanceof ClassConfigError || err instanceof InputError) {
        console.error(err.message);
        process.exit(err instanceof ClassConfigError ? 1 : 2);
    }
    if ((err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
        console.error(`${err.message}\n${USAGE}`);
        process.exit(2);
    }
    console.error(err);
    process.exit(1);
});

import { ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";

export interface RunResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export interface RunOptions {
    readonly input?: string | Buffer;
    readonly timeoutMs?: number;
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
}

/** Runs a command to its end and returns its output, whatever its exit code. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            stdio: ["pipe", "pipe", "pipe"],
            env: options.env ?? process.env,
            cwd: options.cwd,
            timeout: options.timeoutMs ?? 120_000,
            killSignal: "SIGKILL",
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({
            code: signal ? null : code,
            stdout: Buffer.concat(out).toString(),
            stderr: Buffer.concat(err).toString() + (signal ? `\n(killed by ${signal}: timed out?)` : ""),
        }));
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
    });
}

/** Runs a command that must succeed; the error names the command and shows its output. */
export async function check(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
    const result = await run(command, args, options);
    if (result.code !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    }
    return result.stdout;
}

/** A long-running helper process whose output goes to a log file. */
export interface Daemon {
    readonly child: ChildProcess;
    readonly logFile: string;
    stop(): Promise<void>;
}

/** Processes still running when the test process ends, however it ends, are killed with it. */
const running = new Set<number>();
process.on("exit", () => {
    for (const pid of running) {
        try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
});
export function killOnExit(pid: number): () => void {
    running.add(pid);
    return () => running.delete(pid);
}

export function startDaemon(command: string, args: readonly string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Daemon {
    const log = createWriteStream(logFile, { flags: "a" });
    // A process group of its own: a Ctrl-C in the terminal reaches the caller, which stops it in order.
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env, detached: true });
    const forget = killOnExit(child.pid!);
    child.on("exit", forget);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    return {
        child,
        logFile,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill("SIGTERM");
                const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
                await exited;
                clearTimeout(timer);
            }
            log.end();
        },
    };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a value (not undefined), or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 1000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (err) {
            lastError = err;
        }
        if (Date.now() > deadline) {
            const why = lastError instanceof Error ? `: ${lastError.message}` : "";
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${why}`);
        }
        await sleep(intervalMs);
    }
}

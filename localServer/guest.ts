import { ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { killOnExit, run, RunOptions, RunResult, sleep, waitFor } from "./process";

const GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface BootOptions {
    /** The read-only golden root; the guest writes to a throwaway overlay (--volatile=overlay). */
    readonly golden: string;
    /** Directory with NoCloud's `user-data` and `meta-data`. */
    readonly seedDir: string;
    /** Network namespace prepared by network.sh. */
    readonly netns: string;
    readonly consoleLog: string;
    /** Extra host files or directories made visible read-only in the guest: host path → guest path. */
    readonly readOnlyBinds?: Readonly<Record<string, string>>;
    /** Host devices the guest may write, as host path → guest path pairs (a volume's loop device). */
    readonly devices?: readonly (readonly [string, string])[];
}

/**
 * A local stand-in for a Droplet: the golden Debian root booted with systemd as PID 1 in its own
 * network namespace. Commands run inside through nsenter with a cleared environment, as machinectl
 * and `systemd-run -M` need a host systemd this machine does not have.
 */
export class Guest {
    private constructor(private readonly nspawn: ChildProcess, readonly leaderPid: number) {}

    static async boot(options: BootOptions): Promise<Guest> {
        const binds = [
            ...Object.entries(options.readOnlyBinds ?? {}).map(([from, to]) => `--bind-ro=${from}:${to}`),
            ...(options.devices ?? []).map(([from, to]) => `--bind=${from}:${to}`),
        ];
        // Niced: the install inside is the heaviest job on a shared machine. A process group of its
        // own: a Ctrl-C in the terminal reaches the caller, which powers the guest off cleanly (the
        // students' volume unmounted) rather than have it killed mid-write.
        const nspawn = spawn("nice", ["-n", "10", "systemd-nspawn",
            "--boot", "--register=no", "--keep-unit", "--console=pipe", "--volatile=overlay",
            `--network-namespace-path=/run/netns/${options.netns}`,
            // Its own network namespace, so it may set its own firewall, as a Droplet does.
            "--capability=CAP_NET_ADMIN",
            "--resolv-conf=copy-host",
            `--machine=${options.netns}`,
            `--bind-ro=${options.seedDir}:/var/lib/cloud/seed/nocloud`,
            ...binds,
            "-D", options.golden,
        ], { stdio: ["pipe", "pipe", "pipe"], detached: true });
        const log = createWriteStream(options.consoleLog);
        nspawn.stdout!.pipe(log);
        nspawn.stderr!.pipe(log);
        const leaderPid = await waitFor("the guest's systemd to start", 30_000, async () => {
            if (nspawn.exitCode !== null) {
                throw new Error(`systemd-nspawn exited ${nspawn.exitCode}; see ${options.consoleLog}`);
            }
            return findLeader(nspawn.pid!);
        }, 200);
        // Killing nspawn would leave the guest running; killing its PID 1 ends the whole guest.
        const forget = killOnExit(leaderPid);
        nspawn.on("exit", forget);
        return new Guest(nspawn, leaderPid);
    }

    /** Runs a command inside the guest, as root or, with `user`, as that account (through runuser). */
    exec(argv: readonly string[], options: RunOptions & { readonly user?: string } = {}): Promise<RunResult> {
        const asUser = options.user ? ["runuser", "-u", options.user, "--"] : [];
        return run("nsenter", ["-t", String(this.leaderPid), "-a", "--", "env", "-i", `PATH=${GUEST_PATH}`, "LANG=C.UTF-8", ...asUser, ...argv], options);
    }

    /** Like exec, but the command must succeed. */
    async check(argv: readonly string[], options: RunOptions & { readonly user?: string } = {}): Promise<string> {
        const result = await this.exec(argv, options);
        if (result.code !== 0) {
            throw new Error(`in the guest, ${argv.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
        }
        return result.stdout;
    }

    async journal(unit: string, lines = 200): Promise<string> {
        const result = await this.exec(["journalctl", "--no-pager", "-o", "short-precise", "-n", String(lines), "-u", unit]);
        return result.stdout + result.stderr;
    }

    /** Stops the guest; the overlay and everything written in it go away with it. */
    async shutdown(): Promise<void> {
        if (this.nspawn.exitCode !== null) return;
        const exited = new Promise((resolve) => this.nspawn.once("exit", resolve));
        // systemd-nspawn --boot turns SIGTERM into a clean poweroff of the guest's systemd.
        this.nspawn.kill("SIGTERM");
        const forced = sleep(30_000).then(() => this.nspawn.kill("SIGKILL"));
        await Promise.race([exited, forced]);
        if (this.nspawn.exitCode === null) await exited;
    }
}

/** The container's PID 1 is the child of systemd-nspawn that runs systemd. */
function findLeader(nspawnPid: number): number | undefined {
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat) ?? [];
            const parent = Number(rest?.split(" ")[1]);
            if (parent === nspawnPid && comm === "systemd") return Number(entry);
        } catch {
            // The process ended while we looked.
        }
    }
    return undefined;
}

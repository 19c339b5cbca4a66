/**
 * A throwaway sshd on 127.0.0.1 for the command plugin's rung: a host key and one authorized key of its
 * own, key logins only, none of this machine's sshd configuration (-f /dev/null). sshd runs as root
 * here (it needs root to switch to the logged-in user), as the tests of the real server do.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";

export interface LocalSshd {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    /** The key that logs in (OpenSSH format). */
    readonly privateKey: string;
    /** The server's public host key, as a connection's hostKey pins it. */
    readonly hostKey: string;
    /** What sshd logged, for a failing test's message. */
    readonly log: () => string;
    close(): void;
}

export async function startSshd(dir: string): Promise<LocalSshd> {
    if (process.getuid?.() !== 0) throw new Error("the command plugin's rung runs sshd, which needs root");
    mkdirSync(dir, { recursive: true });
    // sshd's privilege separation directory, as the openssh-server package makes it at boot.
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const keygen = (file: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
    keygen(join(dir, "host_key"));
    keygen(join(dir, "login_key"));
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "login_key.pub")), { mode: 0o600 });
    const host = "127.0.0.1";
    const port = await freePort(host);
    let log = "";
    const sshd: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", "/dev/null",
        "-o", `ListenAddress=${host}:${port}`, "-o", `HostKey=${join(dir, "host_key")}`,
        // StrictModes would refuse the authorized keys under the world-writable /tmp.
        "-o", `AuthorizedKeysFile=${join(dir, "authorized_keys")}`, "-o", "StrictModes=no", "-o", "PidFile=none", "-o", "UsePAM=no",
        "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
        "-o", "PermitRootLogin=prohibit-password"], { stdio: ["ignore", "ignore", "pipe"] });
    sshd.stderr?.on("data", (d) => { log += d; });
    for (let i = 0; !(await accepts(host, port)); i++) {
        if (i === 100 || sshd.exitCode !== null) throw new Error(`sshd did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
    }
    return {
        host, port, user: userInfo().username,
        privateKey: readFileSync(join(dir, "login_key"), "utf8"),
        hostKey: readFileSync(join(dir, "host_key.pub"), "utf8").trim(),
        log: () => log,
        close: () => { sshd.kill(); },
    };
}

function freePort(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer().listen(0, host, () => {
            const address = server.address();
            server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
        });
    });
}

function accepts(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = connect(port, host, () => { socket.end(); resolve(true); });
        socket.on("error", () => resolve(false));
    });
}

// Copies an archive of a class (students' homes and the hub database) to this machine and checks
// it against the checksum computed on the server:
//   npm run archive -- --stack engr101          address, admin user, SSH key and host key from the stack's outputs
//   npm run archive -- --host 203.0.113.10 --user instructor --key ~/.ssh/id_ed25519 \
//                      --host-key "$(pulumi stack output sshHostKey)" [--name engr101]
// Options: --out DIR (default archives), --port N (default 22). Instead of --key, the key's text may
// come in CLASSROOM_SSH_PRIVATE_KEY, and instead of --host-key, CLASSROOM_SSH_HOST_KEY (that is how
// `pulumi destroy` runs it, components/hubArchive.ts). It talks only to a server that shows that host
// key: never one it has not been given (no trust on first use).
// Writes DIR/<name>-<UTC time>.tar.gz and prints its path; exits non-zero if any step fails.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { knownHostsLine, parsePublicKey } from "../lib/hostKey";

export const ARCHIVE_COMMAND = "sudo -n /usr/local/lib/jupyterhub-classroom/classroom-archive";

export interface ArchiveSource {
    readonly host: string;
    readonly user: string;
    readonly port: number;
    /** The private key's text (OpenSSH format). */
    readonly privateKey: string;
    /** The host key the server must show (`ssh-ed25519 AAAA…`, the stack's output sshHostKey). */
    readonly hostKey: string;
    /** The archive's local name starts with it: the stack's name. */
    readonly name: string;
}

/** A failure to report as is: the message says what failed and what to do. */
class ArchiveError extends Error {}

/** UTC, sortable and safe in file names: 20250301T120000Z. */
export function utcStamp(now = new Date()): string {
    return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** `archive: PATH` and `sha256: HEX`, the last lines classroom-archive prints. */
export function parseArchiveOutput(stdout: string): { path: string; sha256: string } {
    const path = /^archive: (\/[A-Za-z0-9._/-]+)$/m.exec(stdout)?.[1];
    const sha256 = /^sha256: ([0-9a-f]{64})$/m.exec(stdout)?.[1];
    if (!path || !sha256) throw new ArchiveError(`classroom-archive printed no archive path and checksum:\n${stdout}`);
    return { path, sha256 };
}

function run(what: string, program: string, args: string[]): string {
    const result = spawnSync(program, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
    if (result.error) throw new ArchiveError(`${what}: ${result.error.message}`);
    if (result.status !== 0) throw new ArchiveError(`${what} failed (exit ${result.status ?? result.signal})`);
    return result.stdout;
}

function sha256File(path: string): string {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Makes the archive on the server, downloads it into outDir and returns its path. */
export function archiveClass(source: ArchiveSource, outDir: string): string {
    // The key and the host key live only for this run, in a directory only we can read.
    const scratch = mkdtempSync(join(tmpdir(), "classroom-archive-"));
    try {
        const key = join(scratch, "key");
        writeFileSync(key, source.privateKey.endsWith("\n") ? source.privateKey : `${source.privateKey}\n`, { mode: 0o600 });
        const knownHosts = join(scratch, "known_hosts");
        writeFileSync(knownHosts, knownHostsLine(source.host, source.port, source.hostKey), { mode: 0o600 });
        const options = [
            "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            // Only the stack's host key, only that key's algorithm: any other key ends the
            // connection before our key signs in or a command is sent.
            "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", `HostKeyAlgorithms=${parsePublicKey(source.hostKey).type}`, "-o", "UpdateHostKeys=no",
            "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=30",
        ];
        const login = `${source.user}@${source.host}`;
        const ssh = (what: string, command: string) => run(what, "ssh", [...options, "-p", String(source.port), login, command]);

        const made = parseArchiveOutput(ssh(`making the archive on ${source.host}`, ARCHIVE_COMMAND));
        mkdirSync(outDir, { recursive: true });
        const target = join(outDir, `${source.name}-${utcStamp()}.tar.gz`);
        const partial = `${target}.partial`;
        try {
            run(`copying ${made.path} from ${source.host}`, "scp", ["-q", ...options, "-P", String(source.port), `${login}:${made.path}`, partial]);
            chmodSync(partial, 0o600);
            const got = sha256File(partial);
            if (got !== made.sha256) {
                throw new ArchiveError(`the copy's sha256 ${got} is not the server's ${made.sha256}; nothing was kept. Run it again.`);
            }
            renameSync(partial, target);
        } finally {
            rmSync(partial, { force: true });
        }
        // Only the admin's copy: the root-only original stays on the server until it is deleted.
        ssh(`removing the downloaded copy from ${source.host}`, `rm -f -- '${made.path}'`);
        return target;
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}

/** ipv4, adminUser, privateKey and sshHostKey from `pulumi stack output` (index.ts exports them). */
function sourceFromStack(stack: string): Omit<ArchiveSource, "port"> {
    const outputs = JSON.parse(run(`reading the outputs of stack ${stack}`, "pulumi",
        ["stack", "output", "--json", "--show-secrets", "--stack", stack])) as Record<string, unknown>;
    if (outputs.paused === true) {
        throw new ArchiveError(`stack ${stack} is paused: it has no server to archive, and its archive from the pause is in archives/. ` +
            "To archive the volume as it is now, resume the class first: pulumi config set paused false && pulumi up");
    }
    const missing = ["ipv4", "adminUser", "privateKey", "sshHostKey"].filter((k) => typeof outputs[k] !== "string");
    if (missing.length > 0) throw new ArchiveError(`stack ${stack} has no output ${missing.join(", ")}; has \`pulumi up\` run?`);
    return {
        host: outputs.ipv4 as string, user: outputs.adminUser as string, privateKey: outputs.privateKey as string,
        hostKey: outputs.sshHostKey as string, name: stack,
    };
}

/** The host key to pin: refused unless it is one public key line, so a typo cannot turn into "any key". */
function pinnedHostKey(text: string | undefined): string {
    if (!text) {
        throw new ArchiveError("--host-key KEY (or CLASSROOM_SSH_HOST_KEY) is needed with --host: the server's host key, " +
            "`pulumi stack output sshHostKey`. The archive never trusts a key it was not given.");
    }
    try {
        parsePublicKey(text);
    } catch (err) {
        throw new ArchiveError(`--host-key: ${(err as Error).message}`);
    }
    return text.trim();
}

function main(argv: string[]): void {
    const { values } = parseArgs({
        args: argv,
        options: {
            stack: { type: "string" }, host: { type: "string" }, user: { type: "string" }, key: { type: "string" },
            "host-key": { type: "string" },
            name: { type: "string" }, port: { type: "string", default: "22" }, out: { type: "string", default: "archives" },
        },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ArchiveError(`--port ${values.port}: expected a TCP port`);
    let source: ArchiveSource;
    if (values.stack) {
        source = { ...sourceFromStack(values.stack), port };
    } else if (values.host && values.user) {
        const privateKey = values.key ? readFileSync(values.key, "utf8") : process.env.CLASSROOM_SSH_PRIVATE_KEY;
        if (!privateKey) throw new ArchiveError("--key FILE (or CLASSROOM_SSH_PRIVATE_KEY) is needed with --host");
        const hostKey = pinnedHostKey(values["host-key"] ?? process.env.CLASSROOM_SSH_HOST_KEY);
        source = { host: values.host, user: values.user, privateKey, hostKey, port, name: values.name ?? values.host };
    } else {
        throw new ArchiveError("usage: npm run archive -- --stack NAME | --host ADDRESS --user ADMIN --key FILE --host-key KEY [--name NAME] [--out DIR] [--port N]");
    }
    console.log(archiveClass(source, values.out!));
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (err) {
        console.error(`archive: ${err instanceof ArchiveError || err instanceof TypeError ? err.message : String(err)}`);
        process.exit(1);
    }
}

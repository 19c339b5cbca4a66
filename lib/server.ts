/**
 * Where things live on the server, and the commands the stack runs there. Every command is an
 * argument list turned into one POSIX-quoted string here: no shell text is ever built by
 * concatenating a value into it.
 */
import { resolve } from "node:path";

/** The server's library: install.sh, the classroom-* commands, the Python code, the schemas. */
export const SERVER_LIB = "/usr/local/lib/jupyterhub-classroom";
/** The server's configuration: server.json, class.json, secrets.json, jupyterhub_config.py. */
export const SERVER_ETC = "/etc/jupyterhub-classroom";

/** A POSIX shell word with exactly this value: single-quoted unless it is plainly safe. */
export function shellQuote(arg: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** One command line for any POSIX shell: each argument quoted. */
export function shellCommand(args: readonly string[]): string {
    return args.map(shellQuote).join(" ");
}

/** A classroom-* command of the server's library, through the admin's passwordless sudo (-n: fail, never prompt). */
export function sudoTool(tool: string, ...args: string[]): string {
    return shellCommand(["sudo", "-n", `${SERVER_LIB}/${tool}`, ...args]);
}

/**
 * Waits for cloud-init to finish. Exit 2 is "done, with recoverable errors" (cloud-init 23.4 and
 * later; some distributions' packages report it as 0): a deprecated key or a logged warning, while
 * the install itself ran. It passes, as cloud-init's documentation advises; a failing install
 * script is an error, exit 1, and stops `pulumi up` here. `--long` puts cloud-init's own account
 * of errors and warnings in the log either way.
 */
export const WAIT_FOR_CLOUD_INIT =
    'cloud-init status --wait --long; status=$?; [ "$status" -eq 0 ] || [ "$status" -eq 2 ]';

/** Reads the bundle from stdin, writes class.json and secrets.json (0600) and restarts the hub. */
export const APPLY_CLASS_SETTINGS = sudoTool("classroom-apply");

/** Once cloud-init is done (at once, after the first boot), the server files again and install.sh. */
export const SYNC_COMMAND = `(${WAIT_FOR_CLOUD_INIT}) && ${sudoTool("classroom-sync")}`;

export const HEALTH_CHECK = `${SERVER_LIB}/classroom-health`;

/**
 * `sudo classroom-health`: exits non-zero with the failing unit's status and journal.
 * untrustedCa: the certificate's CA is not in the system's trust store (Let's Encrypt staging, a
 * test ACME server), so the check trusts the chain Traefik obtained from it.
 */
export function healthCheckCommand(timeoutMinutes: number, untrustedCa: boolean): string {
    return sudoTool("classroom-health", "--timeout", String(timeoutMinutes * 60), ...(untrustedCa ? ["--staging"] : []));
}

/** This project's directory: package.json (so `npm run archive`) and archives/, wherever Pulumi runs from. */
export const PROJECT_DIR = resolve(__dirname, "..");

/** What `pulumi destroy` runs on this machine, in PROJECT_DIR, before the Droplet goes. */
export function archiveCommand(host: string, user: string, stackName: string): string {
    return shellCommand(["npm", "run", "--silent", "archive", "--", "--host", host, "--user", user, "--name", stackName]);
}

/**
 * How the instructor logs in, in any POSIX shell: the stack's key goes to the SSH agent (it never
 * touches the disk), then ssh.
 */
export function sshCommand(user: string, host: string): string {
    return `pulumi stack output --show-secrets privateKey | ssh-add - && ${shellCommand(["ssh", `${user}@${host}`])}`;
}

// tools/archive.ts against a real server: sshd, sudo and classroom-archive in a throwaway
// namespace (test/ops-namespace.sh), reached over its own loopback with the real ssh and scp.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateHostKey } from "../../lib/hostKey";
import { parseArchiveOutput, utcStamp } from "../../tools/archive";

const REPO = join(__dirname, "..", "..");
const NAMESPACE = join(REPO, "test", "ops-namespace.sh");
const LIB = "/usr/local/lib/jupyterhub-classroom";
const work = mkdtempSync(join(tmpdir(), "archive-test-"));
let holder = "";
let sshd: ChildProcess | undefined;
/** The server's host key, made as the stack makes it and installed where cloud-init's ssh_keys puts it. */
const hostKey = generateHostKey();

/** Runs argv inside the server as root; throws with its stderr when it fails. */
function inside(argv: string[], input?: string): string {
    const result = spawnSync(NAMESPACE, ["run", holder, ...argv], { input, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${argv.join(" ")} exited ${result.status}: ${result.stderr}`);
    return result.stdout;
}

function put(path: string, content: string, mode = "0644"): void {
    // Node's pipes to a child are sockets, which /dev/stdin cannot open: cat reads them.
    inside(["sh", "-c", 'install -D -m "$2" /dev/null "$1" && cat >"$1"', "sh", path, mode], content);
}

/**
 * npm run archive as `pulumi destroy` runs it (the host key in CLASSROOM_SSH_HOST_KEY), inside the
 * server's network (sshd listens on its loopback).
 */
function archive(args: string[] = [], pinned: string | null = hostKey.publicKey) {
    const scratch = join(work, "tmp");
    mkdirSync(scratch, { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: scratch };
    delete env.CLASSROOM_SSH_HOST_KEY;
    if (pinned !== null) env.CLASSROOM_SSH_HOST_KEY = pinned;
    const result = spawnSync(NAMESPACE, ["run", holder, "npm", "run", "--silent", "archive", "--",
        "--host", "127.0.0.1", "--user", "instructor", "--key", join(work, "key"), "--name", "engr101",
        "--out", join(work, "archives"), ...args], { cwd: REPO, encoding: "utf8", env });
    return { ...result, leftovers: readdirSync(scratch) };
}

/** The archives the server has made so far. */
const madeOnServer = () => inside(["sh", "-c", "ls /var/backups/jupyterhub-classroom/ 2>/dev/null || true"]);

const archives = () => readdirSync(join(work, "archives"), { withFileTypes: true }).map((e) => e.name);

before(() => {
    mkdirSync(join(work, "server"));
    holder = spawnSync(NAMESPACE, ["start", join(work, "server")], { encoding: "utf8" }).stdout.trim();
    assert.match(holder, /^\d+$/, "the test server's namespace did not start");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(work, "key")]);

    inside(["mkdir", "-p", `${LIB}/python`, "/srv/classroom/home", "/var/lib/jupyterhub", "/run/sshd"]);
    // Both packages, as on the server, where the archive runs after HubSync has delivered them.
    for (const pkg of ["classroom_ops", "classroom_hub"]) inside(["cp", "-r", join(REPO, "cloud-init", "python", pkg), `${LIB}/python/`]);
    inside(["install", "-m", "0755", join(REPO, "cloud-init", "classroom-archive"), `${LIB}/classroom-archive`]);
    // The admin as cloud-init makes it: keys only (no password), passwordless sudo.
    inside(["useradd", "--create-home", "--home-dir", "/srv/instructor", "--shell", "/bin/bash", "--password", "*", "instructor"]);
    put("/srv/instructor/.ssh/authorized_keys", readFileSync(join(work, "key.pub"), "utf8"), "0600");
    inside(["chown", "-R", "instructor:", "/srv/instructor/.ssh"]);
    put("/etc/sudoers.d/instructor", "instructor ALL=(ALL) NOPASSWD:ALL\n", "0440");
    inside(["useradd", "--home-dir", "/srv/classroom/home/jupyter-ada", "jupyter-ada"]);
    put("/srv/classroom/home/jupyter-ada/lab1.ipynb", '{"cells": []}\n', "0600");
    inside(["chown", "-R", "jupyter-ada:", "/srv/classroom/home/jupyter-ada"]);
    inside(["/usr/bin/python3", "-c", "import sqlite3; sqlite3.connect('/var/lib/jupyterhub/jupyterhub.sqlite').execute('create table users (name text)')"]);
    put("/etc/ssh/ssh_host_ed25519_key", hostKey.privateKey, "0600");
    put("/etc/ssh/ssh_host_ed25519_key.pub", `${hostKey.publicKey}\n`, "0600");
    // The other types too, so the client's pin, not the server's choice, decides which key is checked.
    inside(["ssh-keygen", "-A"]);
    sshd = spawn(NAMESPACE, ["run", holder, "/usr/sbin/sshd", "-D", "-e", "-o", "ListenAddress=127.0.0.1", "-o", "UsePAM=no"],
        { stdio: "ignore" });
    // Ready when it accepts a connection.
    for (let i = 0; i < 100 && spawnSync(NAMESPACE, ["run", holder, "bash", "-c", "echo >/dev/tcp/127.0.0.1/22"]).status !== 0; i++) {
        spawnSync("sleep", ["0.1"]);
    }
});

after(() => {
    sshd?.kill();
    if (holder) spawnSync(NAMESPACE, ["stop", holder]);
    rmSync(work, { recursive: true, force: true });
});

test("downloads the server's archive, checks its sha256, and cleans up after itself", () => {
    const result = archive();
    assert.equal(result.status, 0, result.stderr);
    const local = result.stdout.trim().split("\n").at(-1)!;
    assert.match(local, new RegExp(`^${join(work, "archives")}/engr101-\\d{8}T\\d{6}Z\\.tar\\.gz$`));
    assert.equal(statSync(local).mode & 0o777, 0o600);
    const kept = inside(["sh", "-c", "sha256sum /var/backups/jupyterhub-classroom/classroom-*.tar.gz"]).split(" ")[0];
    assert.equal(createHash("sha256").update(readFileSync(local)).digest("hex"), kept);
    const listing = spawnSync("tar", ["-tzf", local], { encoding: "utf8" }).stdout.split("\n");
    assert.ok(listing.includes("home/jupyter-ada/lab1.ipynb") && listing.includes("hub/jupyterhub.sqlite"));
    assert.equal(inside(["ls", "-A", "/srv/instructor/classroom-archives"]), "", "the admin's copy is removed once downloaded");
    // tsx keeps its cache there too.
    assert.deepEqual(result.leftovers.filter((name) => name.startsWith("classroom-archive-")), [],
        "the key and known_hosts are removed");
});

test("a copy that does not match the server's checksum is not kept, and the run fails", () => {
    // The download is damaged after the server computed its checksum.
    inside(["mv", `${LIB}/classroom-archive`, `${LIB}/classroom-archive-real`]);
    put(`${LIB}/classroom-archive`, `#!/bin/bash\nset -e\nout=$(${LIB}/classroom-archive-real)\necho "$out"\necho damage >>"$(sed -n 's/^archive: //p' <<<"$out")"\n`, "0755");
    const before = archives();
    try {
        const result = archive();
        assert.equal(result.status, 1);
        assert.match(result.stderr, /^archive: the copy's sha256 [0-9a-f]{64} is not the server's [0-9a-f]{64}; nothing was kept/m);
        assert.deepEqual(archives(), before);
    } finally {
        inside(["mv", `${LIB}/classroom-archive-real`, `${LIB}/classroom-archive`]);
    }
});

test("an unreachable server fails the run", () => {
    const result = archive(["--port", "2222"]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /archive: making the archive on 127\.0\.0\.1 failed \(exit 255\)/);
});

test("a server showing another host key than the stack's gets nothing: the run stops before it signs in", () => {
    const before = { local: archives(), server: madeOnServer() };
    // The stack pinned a different key than the one this server shows: what a machine in the
    // middle, or a server that is not the class's, looks like to the client.
    const result = archive([], generateHostKey().publicKey);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Host key verification failed/);
    assert.match(result.stderr, /^archive: making the archive on 127\.0\.0\.1 failed \(exit 255\)/m);
    assert.deepEqual({ local: archives(), server: madeOnServer() }, before, "nothing was made or copied");
    assert.deepEqual(result.leftovers.filter((name) => name.startsWith("classroom-archive-")), []);
});

test("without a host key, or with one that is not a key, the run refuses to start: no trust on first use", () => {
    const before = madeOnServer();
    const missing = archive([], null);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--host-key KEY \(or CLASSROOM_SSH_HOST_KEY\) is needed with --host/);
    // A second line would be a second known_hosts entry, for any host.
    const injected = archive(["--host-key", `${hostKey.publicKey}\n* ${generateHostKey().publicKey}`]);
    assert.equal(injected.status, 1);
    assert.match(injected.stderr, /--host-key: not an SSH public key line/);
    assert.equal(madeOnServer(), before);
    // --host-key on the command line is the same pin as the environment's.
    const given = archive(["--host-key", hostKey.publicKey], null);
    assert.equal(given.status, 0, given.stderr);
});

test("the server's output and the archive's name", () => {
    assert.deepEqual(parseArchiveOutput("kept on the server: /var/backups/x\narchive: /srv/i/classroom-archives/c.tar.gz\nsha256: " + "a".repeat(64) + "\n"),
        { path: "/srv/i/classroom-archives/c.tar.gz", sha256: "a".repeat(64) });
    assert.throws(() => parseArchiveOutput("archive: /tmp/x'; rm -rf ~\nsha256: " + "a".repeat(64)), /printed no archive path/);
    assert.equal(utcStamp(new Date("2026-03-01T12:34:56.789Z")), "20260301T123456Z");
});

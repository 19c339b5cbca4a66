// A Droplet class's archive into the cluster's students' volumes (docs/kubernetes.md, "Moving a
// class mid-term"). Without --apply it prints what it would do; with it, it runs kubectl (KUBECONFIG
// names the cluster) once per student, before or after their first login:
//   npx tsx platforms/kubernetes/restoreHomes.ts --config Pulumi.<class>.yaml --archive archives/classroom-<time>.tar.gz [--apply]
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ClassConfigError, parseClassConfig } from "../../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../../lib/config/stack";
import { NAMESPACE } from "./components/classRelease";
import { ArchivedStudent, restoreObjects } from "./restore";

const REPO = join(__dirname, "..", "..");
const { values: args } = parseArgs({ options: { config: { type: "string" }, archive: { type: "string" }, apply: { type: "boolean", default: false } } });
if (!args.config || !args.archive) {
    console.error("usage: npx tsx platforms/kubernetes/restoreHomes.ts --config Pulumi.<class>.yaml --archive <classroom-archive .tar.gz> [--apply]");
    process.exit(2);
}

/** kubectl with an argument list (never a shell line); stdin from a file or a string. */
function kubectl(argv: string[], input?: { file: string } | { text: string }) {
    const stdin = input && "file" in input ? openSync(input.file, "r") : "pipe";
    return spawnSync("kubectl", argv, {
        stdio: [stdin, "pipe", "pipe"], encoding: "utf8",
        ...(input && "text" in input ? { input: input.text } : {}),
    });
}

/** One POSIX shell word: single-quoted, its own single quotes closed and escaped. */
const shellQuoted = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

let cfg;
try {
    cfg = parseClassConfig(rawClassConfigFromStackFile(readFileSync(args.config, "utf8")));
} catch (err) {
    if (!(err instanceof ClassConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
}
if (cfg.platform !== "kubernetes") {
    console.error("platform: expected kubernetes for a restore into the cluster. Fix: pulumi config set platform kubernetes");
    process.exit(1);
}
// The split homes are students' files: in a directory only this user can read, removed at the end.
const scratch = mkdtempSync(join(tmpdir(), "classroom-restore-"));
try {
    // The shared package (classroom_hub, classroom_ops) from this checkout, not any installed copy.
    const splitting = spawnSync("python3", ["-s", join(__dirname, "split_archive.py"), args.archive, scratch], {
        encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "cloud-init", "python") }, stdio: ["ignore", "pipe", "inherit"],
    });
    if (splitting.status !== 0) process.exit(1);  // split_archive.py said why
    const split = JSON.parse(splitting.stdout) as { students: ArchivedStudent[]; unnamed: string[] };
    for (const account of split.unnamed) console.error(`not restored: ${account} (its hub name is not in the archive's hub database)`);
    let failed = 0;
    for (const student of split.students) {
        const { claim, pod } = restoreObjects(cfg, student);
        const run = ["run", pod.metadata.name, `--namespace=${NAMESPACE}`, `--image=${cfg.kubernetes!.singleuserImage}`,
            "--restart=Never", "--rm", "-i", "--quiet", `--overrides=${JSON.stringify(pod)}`];
        if (!args.apply) {
            console.log(`# ${student.hubName}: create ${student.claim} if missing, then extract their home into it`);
            console.log(JSON.stringify(claim));
            // Shown for reading; --apply runs the same argument list without a shell.
            console.log(`kubectl ${run.map(shellQuoted).join(" ")} < ${shellQuoted(student.tar)}`);
            continue;
        }
        const exists = kubectl(["get", "pvc", student.claim, `--namespace=${NAMESPACE}`, "--ignore-not-found", "--output=name"]);
        if (exists.status === 0 && !exists.stdout.trim()) {
            const made = kubectl(["create", "--filename=-"], { text: JSON.stringify(claim) });
            if (made.status !== 0) {
                console.error(`${student.hubName}: could not create ${student.claim}: ${made.stderr.trim()}`);
                failed++;
                continue;
            }
        }
        const restored = kubectl(run, { file: student.tar });
        console.log(restored.status === 0 ? `${student.hubName}: restored into ${student.claim}`
            : `${student.hubName}: not restored (${restored.stderr.trim()}); is their server stopped? Run again: files already there are kept`);
        if (restored.status !== 0) failed++;
    }
    if (!args.apply) console.log("# nothing was changed: run again with --apply");
    process.exitCode = failed ? 1 : 0;
} finally {
    rmSync(scratch, { recursive: true, force: true });
}

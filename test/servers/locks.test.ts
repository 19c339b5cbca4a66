import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { run } from "../../localServer/process";
import { CLOUD_INIT, PROJECT, requireTools, temporaryDirectory } from "../support/server";

const REQUIREMENTS = join(CLOUD_INIT, "requirements");
/** The Droplet images, as tools/lock.py targets them: their CPython and glibc. */
const TARGETS = [
    { image: "debian-12-x64", python: "3.11.2", platform: "x86_64-manylinux_2_36" },
    { image: "ubuntu-24-04-x64", python: "3.12.3", platform: "x86_64-manylinux_2_39" },
];
/** What each environment must provide once installed. */
const PROGRAMS = { hub: ["jupyterhub", "traefik"], user: ["jupyterhub-singleuser", "jupyter-lab"] };

before(() => requireTools({ uv: "pip install uv (tools/setup.sh)" }));

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** name → versions, from requirement lines (`name==version ; marker`), comments and hashes left out. */
function pins(text: string): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const [, name, version] of text.matchAll(/^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)/gm)) {
        found.set(normalize(name), [...(found.get(normalize(name)) ?? []), version]);
    }
    return found;
}

for (const lock of ["hub", "user"] as const) {
    test(`${lock}.txt pins what ${lock}.in pins, every requirement with a hash`, () => {
        const wanted = readFileSync(join(REQUIREMENTS, `${lock}.in`), "utf8");
        const locked = readFileSync(join(REQUIREMENTS, `${lock}.txt`), "utf8");
        const requirementLines = wanted.split("\n").filter((l) => l.trim() && !l.trimStart().startsWith("#"));
        assert.equal(pins(wanted).size, requirementLines.length, `every requirement of ${lock}.in is pinned with ==`);
        const lockedPins = pins(locked);
        for (const [name, [version]] of pins(wanted)) {
            assert.deepEqual(lockedPins.get(name), [version], `${name}==${version} of ${lock}.in is not in ${lock}.txt: run uv run tools/lock.py`);
        }
        for (const requirement of locked.split(/\n(?=[A-Za-z0-9])/).filter((r) => !r.startsWith("#"))) {
            assert.match(requirement, /--hash=sha256:[0-9a-f]{64}/, requirement);
        }
    });
}

test("students' servers run the hub's version of jupyterhub", () => {
    const version = (lock: string) => pins(readFileSync(join(REQUIREMENTS, `${lock}.in`), "utf8")).get("jupyterhub");
    assert.ok(version("hub"));
    assert.deepEqual(version("user"), version("hub"));
});

// What install.sh does on each image (pip install --require-hashes --no-deps), done by uv for
// that image's Python and glibc: every requirement must find a file whose hash the lock lists.
for (const target of TARGETS) {
    test(`both locks install with their hashes on ${target.image} (CPython ${target.python}, ${target.platform})`, { timeout: 15 * 60_000 }, async (t) => {
        for (const lock of ["hub", "user"] as const) {
            const dir = temporaryDirectory(`lock-${lock}`);
            try {
                const started = Date.now();
                const result = await run("nice", ["-n", "10", "uv", "pip", "install", "--quiet",
                    "--python-version", target.python, "--python-platform", target.platform,
                    "--require-hashes", "--no-deps", "--target", dir, "-r", join(REQUIREMENTS, `${lock}.txt`)],
                { env: { ...process.env, UV_CACHE_DIR: join(PROJECT, ".cache", "uv") }, timeoutMs: 14 * 60_000 });
                assert.equal(result.code, 0, `${lock}.txt on ${target.image}:\n${result.stderr}`);
                t.diagnostic(`${lock}.txt: ${Math.round((Date.now() - started) / 1000)} s`);
                for (const program of PROGRAMS[lock]) {
                    assert.ok(existsSync(join(dir, "bin", program)), `${lock}.txt installs no ${program}`);
                }
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        }
    });
}

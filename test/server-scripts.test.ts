import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { check, run } from "../localServer/process";
import { PROJECT, requireTools } from "./support/server";

before(() => requireTools({ shellcheck: "shellcheck", git: "git" }));

/** Every shell script of the project (tracked or new, not ignored): *.sh and files whose #! names sh or bash. */
async function shellScripts(): Promise<string[]> {
    const files = (await check("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT }))
        .split("\n").filter((f) => f && existsSync(join(PROJECT, f)) && statSync(join(PROJECT, f)).isFile());
    return files.filter((f) => f.endsWith(".sh")
        || /^#!\s*(\/usr)?\/bin\/(env\s+)?(ba)?sh\b/.test(readFileSync(join(PROJECT, f), "latin1").slice(0, 80)));
}

test("shellcheck finds nothing in install.sh or any other shell script", async (t) => {
    const scripts = await shellScripts();
    assert.ok(scripts.includes("cloud-init/install.sh"), "install.sh was not found among the scripts");
    t.diagnostic(`checked: ${scripts.join(", ")}`);
    const result = await run("shellcheck", ["--external-sources", ...scripts], { cwd: PROJECT });
    assert.equal(result.code, 0, result.stdout + result.stderr);
});

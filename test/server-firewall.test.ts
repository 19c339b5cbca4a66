import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { renderUserData } from "../lib/userData";
import { run } from "../localServer/process";
import { devConfig, requireTools, temporaryDirectory, writeFiles } from "./support/server";

before(() => requireTools({ unshare: "util-linux", setpriv: "util-linux", ip: "iproute2", nft: "nftables", curl: "curl", python3: "python3" }));

/**
 * In a network namespace of its own: the metadata address on loopback with a web server behind
 * it, the rendered rules loaded twice (as a re-run of install.sh or a restart would), then one
 * request per uid.
 */
const PROBE = String.raw`
set -euo pipefail
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
nft -f "$1"
nft -f "$1"
nft list table inet jupyterhub_classroom | grep -c reject
python3 -m http.server --bind 169.254.169.254 8080 >/dev/null 2>&1 &
for _ in $(seq 100); do curl -s -o /dev/null http://169.254.169.254:8080/ && break; sleep 0.1; done
for uid in 0 1000 19999 20000 45000 59999 60000; do
  if setpriv --reuid "$uid" --regid "$uid" --clear-groups curl -s -o /dev/null --max-time 3 http://169.254.169.254:8080/; then
    echo "$uid reaches"
  else
    echo "$uid blocked"
  fi
done
kill %1
`;

test("students' uids (20000-59999), and only they, are kept off the metadata service", async () => {
    const rules = writeFiles(renderUserData(devConfig(), [])).find((f) => f.path === "/etc/jupyterhub-classroom/students.nft")!;
    const dir = temporaryDirectory("nft");
    try {
        writeFileSync(join(dir, "students.nft"), rules.content);
        const result = await run("unshare", ["--net", "bash", "-c", PROBE, "probe", join(dir, "students.nft")], { timeoutMs: 60_000 });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdout.trim().split("\n"), [
            "1",
            "0 reaches", "1000 reaches", "19999 reaches",
            "20000 blocked", "45000 blocked", "59999 blocked",
            "60000 reaches",
        ]);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

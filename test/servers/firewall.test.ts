import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { renderUserData } from "../../lib/userData";
import { run } from "../../localServer/process";
import { devConfig, requireTools, temporaryDirectory, writeFiles } from "../support/server";

before(() => requireTools({ unshare: "util-linux", setpriv: "util-linux", ip: "iproute2", nft: "nftables", curl: "curl", python3: "python3" }));

/**
 * In a network namespace of its own: the metadata address, a private address of each range and a
 * public one on loopback, a web server behind them and a "resolver" on port 53 of a private
 * address, the rendered rules loaded twice (as a re-run of install.sh or a restart would), then
 * one request per uid and address.
 */
const PROBE = String.raw`
set -euo pipefail
ip link set lo up
addresses="169.254.169.254 169.254.1.1 10.1.2.3 172.20.0.1 192.168.1.1 203.0.113.9"
for address in $addresses; do ip addr add "$address/32" dev lo; done
ip -6 addr add fd00::1/128 dev lo
ip -6 addr add 2001:db8::1/128 dev lo
nft -f "$1"
nft -f "$1"
nft list table inet jupyterhub_classroom | grep -c reject
python3 -c '
import http.server, socket, socketserver, threading
class Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()
servers = [http.server.ThreadingHTTPServer(("0.0.0.0", 8080), http.server.SimpleHTTPRequestHandler),
           http.server.ThreadingHTTPServer(("10.1.2.3", 53), http.server.SimpleHTTPRequestHandler),
           Server6(("::", 8080), http.server.SimpleHTTPRequestHandler)]
for s in servers: threading.Thread(target=s.serve_forever, daemon=True).start()
threading.Event().wait()' >/dev/null 2>&1 &
servers=$!
for _ in $(seq 100); do curl -s -o /dev/null http://10.1.2.3:53/ && curl -s -o /dev/null "http://[fd00::1]:8080/" && break; sleep 0.1; done
for uid in 0 1000 19999 20000 45000 59999 60000; do
  line="$uid"
  for url in http://169.254.169.254:8080/ http://169.254.1.1:8080/ http://10.1.2.3:8080/ http://172.20.0.1:8080/ \
             http://192.168.1.1:8080/ "http://[fd00::1]:8080/" http://10.1.2.3:53/ http://203.0.113.9:8080/ \
             "http://[2001:db8::1]:8080/" http://127.0.0.1:8080/; do
    if setpriv --reuid "$uid" --regid "$uid" --clear-groups curl -s -o /dev/null --max-time 3 "$url"; then
      line="$line +"
    else
      line="$line -"
    fi
  done
  echo "$line"
done
kill "$servers"
`;

test("students' uids (20000-59999), and only they, are kept off link-local and private addresses but for name resolution", async () => {
    const rules = writeFiles(renderUserData(devConfig(), [])).find((f) => f.path === "/etc/jupyterhub-classroom/students.nft")!;
    const dir = temporaryDirectory("nft");
    try {
        writeFileSync(join(dir, "students.nft"), rules.content);
        const result = await run("unshare", ["--net", "bash", "-c", PROBE, "probe", join(dir, "students.nft")], { timeoutMs: 120_000 });
        assert.equal(result.code, 0, result.stderr);
        // Columns: metadata, other link-local, 10/8, 172.16/12, 192.168/16, fc00::/7, port 53 on 10/8, public v4, public v6, loopback.
        assert.deepEqual(result.stdout.trim().split("\n"), [
            "4",
            "0 + + + + + + + + + +", "1000 + + + + + + + + + +", "19999 + + + + + + + + + +",
            "20000 - - - - - - + + + +", "45000 - - - - - - + + + +", "59999 - - - - - - + + + +",
            "60000 + + + + + + + + + +",
        ]);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

// LOCAL EXPLORATION ONLY — not for commit (deleted after use).
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startCloudflare } from "./standIns/cloudflare";
import { startDigitalOcean } from "./standIns/digitalocean";
import { REPO, Workspace } from "./toolchain";
async function main() {
    const ops = process.argv.slice(2);
    const digitalocean = await startDigitalOcean({ token: "dop_v1_x", dropletIpv4: "203.0.113.10" });
    const cloudflare = await startCloudflare({ token: "engine-test-token-0123456789abcdefghijklmnopqrstuvwxyz", zoneName: "example.edu" });
    const dir = mkdtempSync("/tmp/explore-");
    mkdirSync(join(dir, "state"));
    copyFileSync(join(REPO, "Pulumi.dev.yaml"), join(dir, "Pulumi.dev.yaml"));
    writeFileSync(join(dir, "Pulumi.yaml"), readFileSync(join(REPO, "Pulumi.yaml"), "utf8").replace(/^    default: 1$/m, '    default: "1"'));
    const ws = new Workspace(dir, "dev", {
        ...process.env, PATH: `/tmp/local-only/engine-cache/pulumi-v3.248.0-e9ab2eaa33e053ab:${process.env.PATH}`,
        PULUMI_HOME: "/tmp/local-only/engine-cache/pulumi-home", PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "engr101-example", PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        DIGITALOCEAN_TOKEN: "dop_v1_x", CLOUDFLARE_API_TOKEN: "engine-test-token-0123456789abcdefghijklmnopqrstuvwxyz",
    });
    ws.pulumi(["stack", "init", "dev"]);
    ws.pulumi(["config", "set", "digitalocean:apiEndpoint", digitalocean.url]);
    ws.pulumi(["config", "set", "cloudflare:baseUrl", cloudflare.baseUrl]);
    for (const op of ops) {
        if (op.startsWith("cfg:")) { ws.pulumi(["config", "set", "--path", ...op.slice(4).split("=")]); continue; }
        const [name, ...exclude] = op.split(",");
        const r = await ws.operation(name as "preview", exclude);
        console.log(`===== ${name} (${r.seconds}s) error=${r.error ? "yes" : "no"}`);
        console.log(r.cliOutput.slice(-6000));
        console.log(JSON.stringify(r.steps.map((s) => [s.op, s.urn.split("::").pop(), s.diffs, s.replaceReasons])));
        console.log("DO problems:", digitalocean.problems, "\nCF problems:", cloudflare.problems);
        console.log("DO log:", digitalocean.log.slice(-40).join("\n"), "\nCF log:", cloudflare.log.join("\n"));
    }
    await digitalocean.close(); await cloudflare.close();
}
main();

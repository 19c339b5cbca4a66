import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { mockWorld, plainText, runProgram, unwrap } from "./support/pulumiMocks";

/**
 * `platform: droplet` (the default) is the stack it was before the Kubernetes platform existed:
 * the same resources with the same inputs and options, so the same user-data byte for byte.
 * test/golden/droplet-graph.json was recorded from the program before platforms existed; a change
 * to the Droplet stack that is meant records it again:
 *   UPDATE_DROPLET_GOLDEN=1 node --import tsx --test test/dropletUnchanged.test.ts
 */
const root = join(__dirname, "..");
const GOLDEN = join(__dirname, "golden", "droplet-graph.json");
const PLANTED_SECRET = "planted-oauth-client-secret-91c2";

/** Pulumi.dev.yaml's config as `pulumi config` hands it to the program: strings, lists as JSON. */
function devStack(): Record<string, string> {
    const config = (parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [
        key.replace(/^jupyterhub-classroom:/, ""),
        typeof value === "object" && value !== null && "secure" in value ? PLANTED_SECRET
            : typeof value === "string" ? value : JSON.stringify(value),
    ]));
}

/** Public keys fixed, so the rendered user-data (which carries them) is the same on every run. */
const fixedWorld = () => ({
    ...mockWorld(),
    generatedPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMgC/130JkscTqZHK/+LRwRKpPodc0xUlc+YWRF1ONnT generated",
    derivedPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDDdW/0w+ITkYcnvztvchqLmlfyd5ku8yAAPgIrE/MOQ derived",
    hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKm7sBqM5bqdDFJCY9nYIY9b6gQtV0nO0Q5bwvEYGdQX host",
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Every resource by name: type, a digest of its inputs (secrets as "[secret]"), the engine options. */
async function graphOf(raw: Record<string, string>) {
    const run = await runProgram(raw, ["oauthClientSecret"], fixedWorld());
    assert.equal(run.error, undefined);
    const resources = run.registered.map((r) => ({
        name: r.name,
        type: r.type,
        // The project's path (the archive step's directory) differs between clones.
        inputs: sha256(plainText(r.inputs).replaceAll(root, "<project>")),
        // Components share the name "hub"; the engine options recorded by name are the resources'.
        options: r.type.startsWith("jupyterhub-classroom:") ? null : run.request(r.name),
    })).sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
    const droplet = run.named("hub-droplet", "digitalocean:index/droplet:Droplet").inputs;
    // As JSON holds it: options the program leaves unset drop out.
    return JSON.parse(JSON.stringify({ resources, userDataSha256: sha256(unwrap(droplet.userData)) }));
}

test("platform droplet, the default, registers the same resources with the same inputs and user-data as before", async () => {
    const graph = await graphOf(devStack());
    if (process.env.UPDATE_DROPLET_GOLDEN) writeFileSync(GOLDEN, `${JSON.stringify(graph, null, 2)}\n`);
    assert.deepEqual(graph, JSON.parse(readFileSync(GOLDEN, "utf8")));
});

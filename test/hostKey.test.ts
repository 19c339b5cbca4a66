// The Droplet's SSH host key in user-data (lib/hostKey.ts): what cloud-init is given, checked by
// cloud-init's own schema, and the known_hosts line every client of the stack pins it with.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { parse } from "yaml";
import { generateHostKey, knownHostsLine, parsePublicKey, withHostKey } from "../lib/hostKey";
import { renderUserData, USER_DATA_LIMIT } from "../lib/userData";
import { run } from "../localServer/process";
import { devConfig, requireTools, STACK_PUBLIC_KEY, temporaryDirectory } from "./support/server";

before(() => requireTools({ "cloud-init": "cloud-init" }));

const hostKey = generateHostKey();
const plain = renderUserData(devConfig(), [STACK_PUBLIC_KEY]);
const withKey = withHostKey(plain, hostKey);

test("cloud-init's own schema check accepts the user-data with the host key, without a warning, under 64 KiB", async (t) => {
    const dir = temporaryDirectory("host-key-schema");
    try {
        const file = join(dir, "user-data");
        writeFileSync(file, withKey);
        const result = await run("cloud-init", ["schema", "--config-file", file]);
        assert.equal(`${result.stdout.trim()}|${result.stderr.trim()}`, `Valid cloud-config: ${file}|`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    const size = Buffer.byteLength(withKey);
    t.diagnostic(`user-data with the host key: ${size} bytes, ${Math.round((100 * size) / USER_DATA_LIMIT)}% of ${USER_DATA_LIMIT}`);
    assert.ok(size < USER_DATA_LIMIT, `${size} bytes`);
});

test("the host key is added to the user-data and nothing else changes", () => {
    assert.ok(withKey.startsWith("#cloud-config\n"));
    const { ssh_keys: keys, ssh_deletekeys: deleteKeys, ...rest } = parse(withKey);
    assert.deepEqual(rest, parse(plain));
    // The image's host keys go; only this pair is written, and cloud-init generates none when given keys.
    assert.equal(deleteKeys, true);
    assert.deepEqual(keys, { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey });
    assert.throws(() => withHostKey(plain, { ...hostKey, publicKey: "ecdsa-sha2-nistp256 AAAAE2VjZHNh" }), /must be ED25519/);
});

test("known_hosts names exactly one address and one key; anything that is not one key line is refused", () => {
    const [type, blob] = hostKey.publicKey.split(" ");
    assert.equal(knownHostsLine("203.0.113.10", 22, `${hostKey.publicKey} a comment`), `203.0.113.10 ${type} ${blob}\n`);
    assert.equal(knownHostsLine("127.0.0.1", 2222, hostKey.publicKey), `[127.0.0.1]:2222 ${type} ${blob}\n`);
    assert.equal(knownHostsLine("2001:db8::10", 22, hostKey.publicKey), `2001:db8::10 ${type} ${blob}\n`);
    for (const bad of [`${hostKey.publicKey}\n* ${generateHostKey().publicKey}`, "", "AAAAC3NzaC1lZDI1NTE5", `ssh-ed25519 ${blob}\r\n*`]) {
        assert.throws(() => knownHostsLine("203.0.113.10", 22, bad), /not an SSH public key line/, JSON.stringify(bad));
    }
    for (const host of ["*", "203.0.113.10,*", "a b", "x\n*"]) {
        assert.throws(() => knownHostsLine(host, 22, hostKey.publicKey), /not a host name or address/, host);
    }
    assert.deepEqual(parsePublicKey(hostKey.publicKey), { type, blob });
});

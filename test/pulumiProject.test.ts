import assert from "node:assert/strict";
import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { parseClassConfig } from "../lib/config/classConfig";
import { CONFIG_KEYS, SECRET_KEYS } from "../lib/config/keys";
import { projectConfigBlock, UNDECLARED_OPTIONAL_KEYS } from "../lib/config/pulumiYaml";
import { CONFIG_NAMESPACE, rawClassConfig, rawClassConfigFromStackFile } from "../lib/config/stack";

const root = join(__dirname, "..");
const read = (file: string) => readFileSync(join(root, file), "utf8");

test("Pulumi.yaml: a TypeScript Node.js project whose name is the config namespace", () => {
    const project = parse(read("Pulumi.yaml"));
    assert.equal(project.name, CONFIG_NAMESPACE);
    assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: true, packagemanager: "npm" } });
    assert.equal(JSON.parse(read("package.json")).main, "index.ts");
});

test("Pulumi.yaml declares every key with its type, description, default and secrecy (npm run project-config)", () => {
    const declared = parse(read("Pulumi.yaml")).config;
    assert.deepEqual(declared, projectConfigBlock());
    assert.deepEqual(Object.keys(declared).sort(), Object.keys(CONFIG_KEYS).filter((k) => !(UNDECLARED_OPTIONAL_KEYS as readonly string[]).includes(k)).sort());
    assert.equal(declared.oauthClientSecret.secret, true);
    assert.equal(declared.oauthClientSecret.default, undefined, "the CLI must require the OAuth secret");
    for (const key of ["dnsZone", "letsEncryptEmail", "authProvider", "oauthClientId"]) assert.equal(declared[key].default, undefined, key);
    assert.equal(declared.volumeSizeGb.default, 20);
    assert.deepEqual(declared.loginHelpLinks.items, { type: "object" });
    // The CLI refuses to load a project whose default is not of its declared type.
    const ofType = { string: (v: unknown) => typeof v === "string", integer: Number.isInteger, boolean: (v: unknown) => typeof v === "boolean", array: Array.isArray };
    for (const [key, spec] of Object.entries(declared as Record<string, { type: keyof typeof ofType; default?: unknown }>)) {
        if (spec.default !== undefined) assert.ok(ofType[spec.type](spec.default), `${key}'s default ${JSON.stringify(spec.default)} is not a ${spec.type}`);
    }
});

test("the empty default Pulumi.yaml gives an optional key means unset", () => {
    const cfg = parseClassConfig(rawClassConfig({
        [`${CONFIG_NAMESPACE}:dnsZone`]: "example.edu", [`${CONFIG_NAMESPACE}:subdomain`]: "engr101",
        [`${CONFIG_NAMESPACE}:hostname`]: "", [`${CONFIG_NAMESPACE}:courseRepoUrl`]: "",
        [`${CONFIG_NAMESPACE}:letsEncryptEmail`]: "prof@example.edu", [`${CONFIG_NAMESPACE}:authProvider`]: "github",
        [`${CONFIG_NAMESPACE}:oauthClientId`]: "Iv1.x", [`${CONFIG_NAMESPACE}:oauthClientSecret`]: "s3cret",
        [`${CONFIG_NAMESPACE}:allowedUsers`]: "[\"ada\"]",
    }));
    assert.equal(cfg.hostname, "engr101.example.edu");
    assert.equal(cfg.course, undefined);
});

test("docs/configuration.md documents exactly the keys of lib/config/keys.ts", () => {
    const documented = [...read("docs/configuration.md").matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), Object.keys(CONFIG_KEYS).sort());
    assert.equal(new Set(documented).size, documented.length, "a key is documented twice");
});

test("docs/configuration.md marks exactly the secret keys as secret", () => {
    const rows = [...read("docs/configuration.md").matchAll(/^\| `([A-Za-z]+)` \| ([^|]+) \|/gm)];
    const secret = rows.filter(([, , type]) => type.includes("secret")).map(([, key]) => key);
    assert.deepEqual(secret.sort(), [...SECRET_KEYS].sort());
});

/** Decrypts a value the way Pulumi's passphrase secrets manager does (AES-256-GCM, PBKDF2 key). */
function decrypt(value: string, key: Buffer): string {
    const [version, nonce, sealed] = value.split(":");
    assert.equal(version, "v1");
    const data = Buffer.from(sealed, "base64");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8");
}

test("Pulumi.dev.yaml is a valid class whose secrets are really encrypted, none in plain text", () => {
    const text = read("Pulumi.dev.yaml");
    const cfg = parseClassConfig(rawClassConfigFromStackFile(text));
    assert.equal(cfg.hostname, "engr101.example.edu");
    assert.equal(cfg.auth.provider, "github");

    const stack = parse(text);
    const secrets = SECRET_KEYS.map((k) => [k, stack.config[`${CONFIG_NAMESPACE}:${k}`]] as const).filter(([, v]) => v !== undefined);
    assert.ok(secrets.length > 0);
    const passphrase = /passphrase\s+"([^"]+)"/.exec(text)![1];
    const [, salt, ...check] = stack.encryptionsalt.split(":");
    const key = pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
    assert.equal(decrypt(check.join(":"), key), "pulumi");
    for (const [name, value] of secrets) {
        assert.equal(typeof value.secure, "string", `${name} is in plain text`);
        assert.ok(decrypt(value.secure, key).length > 0, name);
    }
});

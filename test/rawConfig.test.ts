import assert from "node:assert/strict";
import { test } from "node:test";
import { SECRET_IS_SET } from "../lib/config/classConfig";
import { rawClassConfig, rawClassConfigFromStackFile } from "../lib/config/stack";

test("the program's config: our namespace only, unknown keys kept, secrets masked", () => {
    const raw = rawClassConfig({
        "jupyterhub-classroom:dnsZone": "example.edu",
        "jupyterhub-classroom:oauthClientSecret": "planted-secret",
        "jupyterhub-classroom:courseRepoToken": "planted-token",
        "jupyterhub-classroom:alowedUsers": '["ada"]',
        "digitalocean:token": "planted-do-token",
        "cloudflare:apiToken": "planted-cf-token",
    });
    assert.deepEqual(raw, {
        dnsZone: "example.edu",
        oauthClientSecret: SECRET_IS_SET,
        courseRepoToken: SECRET_IS_SET,
        alowedUsers: '["ada"]',
    });
});

test("a stack file: typed YAML values kept, encrypted values only known to be set", () => {
    const raw = rawClassConfigFromStackFile([
        "encryptionsalt: v1:abc=:v1:def:ghi==",
        "config:",
        "  jupyterhub-classroom:volumeSizeGb: 50",
        "  jupyterhub-classroom:protectVolume: \"false\"",
        "  jupyterhub-classroom:oauthClientSecret:",
        "    secure: v1:AAAA:BBBB",
        "  jupyterhub-classroom:oauthClientId:",
        "    secure: v1:CCCC:DDDD",
        "  jupyterhub-classroom:loginHelpLinks:",
        "    - text: Help",
        "      url: https://example.edu/help",
        "  aws:region: us-east-1",
    ].join("\n"));
    assert.deepEqual(raw, {
        volumeSizeGb: 50,
        protectVolume: "false",
        oauthClientSecret: SECRET_IS_SET,
        oauthClientId: SECRET_IS_SET,
        loginHelpLinks: [{ text: "Help", url: "https://example.edu/help" }],
    });
});

test("a stack file without config is an empty class; a config that is no map is an error", () => {
    assert.deepEqual(rawClassConfigFromStackFile("encryptionsalt: v1:abc\n"), {});
    assert.throws(() => rawClassConfigFromStackFile("config:\n  - dnsZone\n"), /expected the stack file's `config:` to be a map/);
});

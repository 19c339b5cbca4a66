// One person, one identity: the roster rules between entries (lib/config/identity.ts), run on the
// cases the server's check runs too (test/cases/roster-identity.json, test/python/test_settings.py),
// and what the stack makes of them at preview.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ClassConfigError, parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { hubNameOf, RosterIdentity, rosterIdentityProblems } from "../lib/config/identity";

interface Case extends RosterIdentity { readonly what: string; readonly refused: readonly string[] }
const table = JSON.parse(readFileSync(join(__dirname, "cases", "roster-identity.json"), "utf8")) as {
    cases: Case[]; hubNames: { entry: string; hubName: string }[];
};

for (const c of table.cases) {
    test(`shared case: ${c.what}`, () => {
        assert.deepEqual(rosterIdentityProblems(c).map((p) => `${p.list}[${p.index}]`), c.refused);
    });
}

test("shared cases: the hub user name of a roster entry", () => {
    for (const { entry, hubName } of table.hubNames) assert.equal(hubNameOf(entry), hubName, entry);
});

const oidc = {
    dnsZone: "example.edu", subdomain: "engr101", letsEncryptEmail: "prof@example.edu",
    authProvider: "oidc", oauthClientId: "engr101-hub", oauthClientSecret: SECRET_IS_SET,
    oidcAuthorizeUrl: "https://login.example.edu/authorize", oidcTokenUrl: "https://login.example.edu/token",
    oidcUserdataUrl: "https://login.example.edu/userinfo",
};
const google = { ...oidc, authProvider: "google", oidcAuthorizeUrl: undefined, oidcTokenUrl: undefined, oidcUserdataUrl: undefined };

function problems(raw: Record<string, unknown>, roster = "") {
    try {
        parseClassConfig(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)), () => roster);
    } catch (err) {
        assert.ok(err instanceof ClassConfigError, String(err));
        return err.problems;
    }
    return [];
}

test("a bare roster name with e-mail logins is refused at its own index, with both fixes", () => {
    const found = problems({ ...oidc, allowedUsers: '["ada@example.edu","bob@example.edu","dave"]', adminUsers: '["dean"]' });
    assert.deepEqual(found.map((p) => p.path), ["allowedUsers[2]", "adminUsers[0]"]);
    assert.match(found[0].message, /allowedUsers\[2\]: got "dave"; expected a whole e-mail address \(dave@<domain>\).*Fix: pulumi config set --path 'allowedUsers\[2\]' dave@example\.edu, or pulumi config set rosterEmailDomain example\.edu/);
    assert.match(found[1].message, /adminUsers\[0\]: got "dean"/);
});

test("rosterEmailDomain completes bare names; an address of another domain is refused", () => {
    const cfg = parseClassConfig({ ...google, rosterEmailDomain: "Example.edu", allowedUsers: '["ada","grace@example.edu"]', adminUsers: '["prof"]' }, () => "");
    assert.deepEqual(cfg.auth.allowedUsers, ["ada@example.edu", "grace@example.edu"]);
    assert.deepEqual(cfg.auth.adminUsers, ["prof@example.edu"]);
    const found = problems({ ...google, rosterEmailDomain: "example.edu", allowedUsers: '["ada","ada@evil.example"]' });
    assert.deepEqual(found.map((p) => p.path), ["allowedUsers[1]"]);
    assert.match(found[0].message, /expected the class's one e-mail domain, example\.edu/);
});

test("rosterEmailDomain is refused where logins are not e-mail addresses", () => {
    const found = problems({ ...oidc, oidcUsernameClaim: "preferred_username", rosterEmailDomain: "example.edu", allowedUsers: '["ada"]' });
    assert.deepEqual(found.map((p) => p.key), ["rosterEmailDomain"]);
});

test("a roster file's bad entry is named by its line", () => {
    const found = problems({ ...oidc, allowedUsers: '["ada@example.edu"]', rosterFile: "r.csv" }, "bob@example.edu\ncarol\n");
    assert.deepEqual(found.map((p) => p.key), ["rosterFile"]);
    assert.match(found[0].message, /r\.csv line 2: "carol": expected a whole e-mail address.*Fix: edit r\.csv line 2 \(such as carol@example\.edu\)/);
});

test("GitHub roster names have no @", () => {
    const found = problems({ ...oidc, authProvider: "github", oidcAuthorizeUrl: undefined, oidcTokenUrl: undefined, oidcUserdataUrl: undefined, allowedUsers: '["ada","ada@example.edu"]' });
    assert.deepEqual(found.map((p) => p.path), ["allowedUsers[1]"]);
});

test("an existing stack with bare names and e-mail logins gets a preview error, not a new meaning", () => {
    // Before, bare "ada" admitted ada@<any domain>: now the stack stops until the instructor decides.
    const found = problems({ ...google, allowedUsers: '["ada","grace"]' });
    assert.deepEqual(found.map((p) => p.path), ["allowedUsers[0]", "allowedUsers[1]"]);
});

test("a list with a bad entry still has its other entries' identity checked, each at its own index", () => {
    const found = problems({ ...google, allowedUsers: '["ada@example.edu","ada+1@example.edu","bob@b.edu","dave"]' });
    assert.deepEqual(found.map((p) => p.path), ["allowedUsers[1]", "allowedUsers[2]", "allowedUsers[3]"]);
});

test("teaching assistants follow the roster's rules: completed by rosterEmailDomain, one domain, never an instructor too", () => {
    const cfg = parseClassConfig({ ...google, rosterEmailDomain: "example.edu", allowedUsers: '["ada"]', adminUsers: '["prof"]', teachingAssistants: '["Tara","ta2@example.edu"]' }, () => "");
    assert.deepEqual(cfg.auth.teachingAssistants, ["tara@example.edu", "ta2@example.edu"]);
    const found = problems({ ...google, rosterEmailDomain: "example.edu", allowedUsers: '["ada"]', adminUsers: '["prof"]', teachingAssistants: '["tara@evil.example","prof"]' });
    assert.deepEqual(found.map((p) => p.path), ["teachingAssistants[0]", "teachingAssistants[1]"]);
    assert.match(found[0].message, /expected the class's one e-mail domain, example\.edu/);
    assert.match(found[1].message, /teachingAssistants\[1\]: got "prof@example\.edu"; expected someone who is not in adminUsers too.*Fix: pulumi config rm --path 'teachingAssistants\[1\]'/);
});

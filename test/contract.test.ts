// The settings contract: whatever the stack accepts at preview, the server's own check
// (classroom_hub.settings.check_settings, with jsonschema and the generated schema) accepts on the
// class.json the stack renders; and whatever the server would refuse, the stack refuses first,
// naming the key. The corpus: the valid examples, every invalid case of test/classConfig.test.ts,
// and generated edge cases for the roster and every free-text key.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { classSettings, ClassSettings } from "../lib/bundle";
import { ClassConfig, ClassConfigError, ConfigProblem, parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { schemaFiles } from "../lib/config/jsonSchema";
import { rawClassConfigFromStackFile } from "../lib/config/stack";
import { badCases, github, oidc as oidcWithoutEndpoints } from "./support/configCases";

const PROJECT = join(__dirname, "..");
const PYTHON = join(PROJECT, ".venv", "bin", "python");

test("the committed JSON Schemas are the ones lib/config generates (npm run project-config)", () => {
    for (const [name, content] of Object.entries(schemaFiles())) {
        assert.equal(readFileSync(join(PROJECT, "cloud-init", "schema", name), "utf8"), content, name);
    }
});

/** The server's check on each document, in one Python process: its problems, [] when accepted. */
function serverCheck(documents: readonly unknown[]): string[][] {
    const program = [
        "import json, sys",
        `sys.path.insert(0, ${JSON.stringify(join(PROJECT, "cloud-init", "python"))})`,
        // As classroom-apply does: jsonschema's IRI format checker is not used (cloud-init/classroom-apply).
        "sys.modules['rfc3987_syntax'] = None",
        "from classroom_hub.settings import SettingsError, check_settings",
        "out = []",
        "for document in json.load(sys.stdin):",
        "    try:",
        "        check_settings(document)",
        "        out.append([])",
        "    except SettingsError as e:",
        "        out.append(e.problems)",
        "print(json.dumps(out))",
    ].join("\n");
    const run = spawnSync(PYTHON, ["-I", "-c", program], {
        input: JSON.stringify(documents), encoding: "utf8", maxBuffer: 1 << 26,
        cwd: join(PROJECT, "cloud-init", "python"),
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    assert.equal(run.status, 0, `the server's check did not run (create .venv, docs/testing.md): ${run.error ?? run.stderr}`);
    return JSON.parse(run.stdout) as string[][];
}

/** The stack's verdict: the class, or its problems. */
function stack(raw: Record<string, unknown>, roster = ""): ClassConfig | readonly ConfigProblem[] {
    try {
        return parseClassConfig(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)), () => roster);
    } catch (err) {
        if (err instanceof ClassConfigError) return err.problems;
        throw err;
    }
}

const refused = (verdict: ClassConfig | readonly ConfigProblem[]): verdict is readonly ConfigProblem[] => Array.isArray(verdict);

const oidc = {
    ...oidcWithoutEndpoints,
    oidcAuthorizeUrl: "https://login.example.edu/authorize",
    oidcTokenUrl: "https://login.example.edu/token",
    oidcUserdataUrl: "https://login.example.edu/userinfo",
};
const google = { ...github, authProvider: "google", allowedUsers: '["ada@example.edu"]' };
const PROVIDERS = { github, google, oidc } as const;

/**
 * One edge case: a stack config, the key it is about, and where its value lands in class.json
 * (`into`), so the server can be asked about that value even when the stack refuses it.
 */
interface EdgeCase {
    readonly what: string;
    readonly raw: Record<string, unknown>;
    readonly key: string;
    readonly into?: (settings: ClassSettings) => unknown;
}

/** Lower-cased as the stack writes roster entries (ASCII letters only). */
const asciiLower = (v: string) => v.replace(/[A-Z]+/g, (u) => u.toLowerCase());

const ROSTER_NAMES = [
    "ada", "ada+1", "-ada", "ada-", ".ada", "ada.", "a..b", "a.b", "a_b", "_ada", "ADA", "Ada.Lovelace", "7of9",
    "root", "jupyter", "sshd", "www-data", "jupyter-ada", "admin",
    "a".repeat(23), "a".repeat(24), "a".repeat(32), "a".repeat(33), "a".repeat(64), "a".repeat(65),
    "ada\t", "ada\n", " ada", "a da", "ädä", "émile", "😀", "\u212aate", "ada/..", "../x", "ada@", "@example.edu",
];
const ROSTER_ADDRESSES = [
    ...ROSTER_NAMES.map((n) => `${n}@example.edu`),
    "ada@EXAMPLE.edu", "ada@example", "ada@-example.edu", "ada@example.edu.", "ada@b@example.edu", "ada@exämple.edu",
];

function rosterCases(): EdgeCase[] {
    const cases: EdgeCase[] = [];
    for (const [provider, base] of Object.entries(PROVIDERS)) {
        for (const key of ["allowedUsers", "adminUsers", "teachingAssistants"] as const) {
            for (const value of [...ROSTER_NAMES, ...ROSTER_ADDRESSES]) {
                cases.push({
                    what: `${provider} ${key} ${JSON.stringify(value)}`,
                    raw: { ...base, [key]: JSON.stringify([value]) },
                    key,
                    into: (s) => { (s.auth as { [k: string]: unknown })[key] = [asciiLower(value)]; },
                });
            }
        }
    }
    const collisions: [string, Record<string, unknown>, string][] = [
        ["google", { ...google, allowedUsers: '["ada@a.edu","ada@b.edu"]' }, "allowedUsers"],
        ["oidc", { ...oidc, allowedUsers: '["ada@a.edu","ada@b.edu"]' }, "allowedUsers"],
        ["oidc", { ...oidc, allowedUsers: '["ada@example.edu"]', adminUsers: '["ada@evil.example"]' }, "adminUsers"],
        ["oidc", { ...oidc, oidcUsernameClaim: "preferred_username", allowedUsers: '["ada","ada@example.edu"]' }, "allowedUsers"],
        ["google", { ...google, allowedUsers: '["Ada@Example.edu","ada@example.edu"]' }, "allowedUsers"],
        ["google", { ...google, googleHostedDomains: '["a.edu","b.edu"]', allowedUsers: "[]" }, "googleHostedDomains"],
        ["google", { ...google, googleHostedDomains: '["a.edu"]', allowedUsers: '["ada@b.edu"]' }, "allowedUsers"],
        ["oidc", { ...oidc, adminUsers: '["prof@example.edu"]', teachingAssistants: '["prof@example.edu"]' }, "teachingAssistants"],
        ["oidc", { ...oidc, teachingAssistants: '["ada@evil.example"]' }, "teachingAssistants"],
    ];
    for (const [provider, raw, key] of collisions) {
        cases.push({
            what: `${provider} local-part collision ${String(raw.allowedUsers)} ${String(raw.adminUsers ?? "")} ${String(raw.teachingAssistants ?? "")} ${String(raw.googleHostedDomains ?? "")}`,
            raw, key,
            into: (s) => {
                const list = (v: unknown) => (JSON.parse(String(v ?? "[]")) as string[]).map(asciiLower);
                Object.assign(s.auth, {
                    allowedUsers: list(raw.allowedUsers), adminUsers: list(raw.adminUsers),
                    teachingAssistants: list(raw.teachingAssistants), googleHostedDomains: list(raw.googleHostedDomains),
                });
            },
        });
    }
    return cases;
}

const FREE_TEXT = [
    "ENGR 101", "ENGR\t101", "line\nbreak", "line\r\nbreak", "😀 Python", "Ünïcödé ☃", "日本語の授業", "\u0085next line",
    "\u202eevil", "nul\u0000", "del\u007f", "bell\u0007", "  padded  ", "", " ", "😀".repeat(80), "😀".repeat(81),
    "😀".repeat(120), "😀".repeat(121), "a".repeat(120), "a".repeat(121), "a".repeat(500), "a".repeat(501),
    "<script>alert(1)</script>", "{{ 7*7 }}", "\ud800", "tab\tinside\nand line",
];

function freeTextCases(): EdgeCase[] {
    const cases: EdgeCase[] = [];
    for (const value of FREE_TEXT) {
        const link = (text: string) => JSON.stringify([{ text, url: "https://example.edu/help" }]);
        cases.push(
            { what: `loginTitle ${JSON.stringify(value)}`, raw: { ...github, loginTitle: value }, key: "loginTitle", into: (s) => { (s.loginPage as { title: string }).title = value.trim(); } },
            { what: `loginAnnouncement ${JSON.stringify(value)}`, raw: { ...github, loginAnnouncement: value }, key: "loginAnnouncement", into: (s) => { (s.loginPage as { announcement: string }).announcement = value; } },
            { what: `homeAnnouncement ${JSON.stringify(value)}`, raw: { ...github, homeAnnouncement: value }, key: "homeAnnouncement", into: (s) => { (s.homePage as { announcement: string }).announcement = value; } },
            { what: `loginHelpLinks text ${JSON.stringify(value)}`, raw: { ...github, loginHelpLinks: link(value) }, key: "loginHelpLinks", into: (s) => { (s.loginPage as { helpLinks: unknown }).helpLinks = [{ text: value.trim(), url: "https://example.edu/help" }]; } },
            { what: `oauthClientId ${JSON.stringify(value)}`, raw: { ...github, oauthClientId: value }, key: "oauthClientId", into: (s) => { (s.auth as { clientId: string }).clientId = value; } },
        );
    }
    return cases;
}

function otherCases(): EdgeCase[] {
    const values: [string, string, (s: ClassSettings, v: string) => void][] = [
        ["memoryLimit", "2G", (s, v) => { (s.limits as { memory: string }).memory = v; }],
        ["memoryLimit", "2GB", (s, v) => { (s.limits as { memory: string }).memory = v; }],
        ["memoryLimit", "2G\n", (s, v) => { (s.limits as { memory: string }).memory = v; }],
        ["loginPrimaryColor", "#fff\n", (s, v) => { (s.loginPage as { primaryColor: string }).primaryColor = v; }],
        ["loginLogoUrl", "https://example.edu/logo.png\n", (s, v) => { (s.loginPage as { logoUrl: string }).logoUrl = v; }],
        ["loginLogoUrl", "https://example.edu/l o.png", (s, v) => { (s.loginPage as { logoUrl: string }).logoUrl = v; }],
        ["courseRepoUrl", "http://git.example.edu/c.git", () => {}],
        ["courseRepoUrl", "-oProxyCommand=x@host:path", () => {}],
        ["courseRepoUrl", "git@github.com:example/course.git", () => {}],
        ["coursePackages", '["numpy==2.1.3\\n"]', () => {}],
        ["coursePackages", '["numpy\\t==2"]', () => {}],
    ];
    return values.map(([key, value, set]) => ({
        what: `${key} ${JSON.stringify(value)}`, raw: { ...github, [key]: value }, key,
        into: key === "courseRepoUrl"
            ? (s) => { (s as { course: unknown }).course = { repositoryUrl: value, branch: "main", directory: "course" }; }
            : key === "coursePackages" ? (s) => { (s as { coursePackages: unknown }).coursePackages = (JSON.parse(value) as string[]).map((p) => p.trim()); } : (s) => set(s, value),
    }));
}

function exampleClasses(): Record<string, unknown>[] {
    const stackFile = (path: string) => rawClassConfigFromStackFile(readFileSync(join(PROJECT, path), "utf8"));
    return [stackFile("Pulumi.dev.yaml"), stackFile("test/e2e/Pulumi.e2e.yaml"), github, google, oidc,
        { ...google, googleHostedDomains: '["example.edu"]', allowedUsers: "[]" },
        { ...oidc, rosterEmailDomain: "example.edu", allowedUsers: '["ada","grace@example.edu"]', adminUsers: '["prof"]' },
        { ...oidc, oidcUsernameClaim: "preferred_username", allowedUsers: '["ada","grace"]' },
        { ...oidc, rosterEmailDomain: "example.edu", adminUsers: '["prof"]', teachingAssistants: '["tara","ada@example.edu"]', homeAnnouncement: "Office hours: Tue 14:00" },
        { ...github, courseRepoUrl: "https://git.example.edu/c.git", courseRepoToken: SECRET_IS_SET, coursePackages: '["numpy==2.1.3"," pandas>=2 "]' },
        { ...oidc, oidcAuthorizeUrl: "http://10.0.0.5:9080/authorize", insecureHttpHosts: '["10.0.0.5"]' },
    ].map((raw) => Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
}

const EDGE_CASES = [...rosterCases(), ...freeTextCases(), ...otherCases()];

test("whatever the stack accepts, the server's check accepts on the rendered class.json", () => {
    const accepted: { what: string; settings: ClassSettings }[] = [];
    const corpus = [
        ...exampleClasses().map((raw, i) => ({ what: `example ${i}`, raw })),
        ...badCases.map((b) => ({ what: b.what, raw: b.raw })),
        ...EDGE_CASES,
    ];
    for (const { what, raw } of corpus) {
        const verdict = stack(raw);
        if (!refused(verdict)) accepted.push({ what, settings: classSettings(verdict) });
    }
    assert.ok(accepted.length > 150, `only ${accepted.length} accepted configs`);
    const verdicts = serverCheck(accepted.map((a) => a.settings));
    const refusedByServer = accepted.filter((_, i) => verdicts[i].length > 0).map((a, i) => `${a.what}: ${verdicts[i]}`);
    assert.deepEqual(accepted.map((a, i) => [a.what, verdicts[i]]).filter(([, v]) => (v as string[]).length > 0), [], refusedByServer.join("\n"));
    // The examples are all accepted: the corpus is not refused wholesale.
    for (const [i, raw] of exampleClasses().entries()) assert.ok(!refused(stack(raw)), `example ${i}: ${JSON.stringify(stack(raw))}`);
});

test("every invalid case of the stack's tests is refused at preview, naming its key", () => {
    for (const bad of badCases) {
        const verdict = stack(bad.raw);
        assert.ok(refused(verdict), bad.what);
        assert.ok(verdict.some((p) => p.key === bad.key), `${bad.what}: ${verdict.map((p) => p.key)}`);
    }
});

test("whatever the server would refuse, the stack refuses first, naming the key", () => {
    const base = classSettings(stack(github) as ClassConfig);
    const baseFor = Object.fromEntries(Object.entries(PROVIDERS).map(([p, raw]) => [p, classSettings(stack(raw) as ClassConfig)]));
    const documents = EDGE_CASES.map((edge) => {
        const provider = String(edge.raw.authProvider);
        const document = structuredClone(baseFor[provider] ?? base);
        if (edge.raw.oidcUsernameClaim && document.auth.oidc) (document.auth.oidc as { usernameClaim: string }).usernameClaim = String(edge.raw.oidcUsernameClaim);
        edge.into!(document);
        return document;
    });
    const verdicts = serverCheck(documents);
    let serverRefusals = 0;
    const misses: string[] = [];
    EDGE_CASES.forEach((edge, i) => {
        if (verdicts[i].length === 0) return;
        serverRefusals++;
        const verdict = stack(edge.raw);
        if (!refused(verdict) || !verdict.some((p) => p.key === edge.key)) {
            misses.push(`${edge.what}: the server refuses (${verdicts[i].join("; ")}) but the stack says ${refused(verdict) ? verdict.map((p) => p.key).join(", ") : "yes"}`);
        }
    });
    assert.deepEqual(misses, []);
    assert.ok(serverRefusals > 100, `only ${serverRefusals} server refusals: the corpus tests little`);
});

test("the four examples of the issue: accepted by both, or refused at preview naming the key", () => {
    const examples: [Record<string, unknown>, string][] = [
        [{ ...google, allowedUsers: '["ada+1@example.edu"]' }, "allowedUsers"],
        [{ ...google, allowedUsers: '["ada@a.edu","ada@b.edu"]' }, "allowedUsers"],
        [{ ...github, allowedUsers: '["ada-"]' }, "allowedUsers"],
        [{ ...github, loginTitle: "ENGR\t101" }, "loginTitle"],
    ];
    for (const [raw, key] of examples) {
        const verdict = stack(raw);
        if (refused(verdict)) {
            assert.deepEqual(verdict.map((p) => p.key), [key], JSON.stringify(verdict));
            assert.match(verdict[0].message, /Fix: /);
        } else {
            assert.deepEqual(serverCheck([classSettings(verdict)]), [[]]);
        }
    }
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { classSettings } from "../lib/bundle";
import { github, problemsOf } from "./support/configCases";
import { runProgram } from "./support/pulumiMocks";

/** The table test/python/test_schedule.py places in time: both sides read the same meetings. */
const CASES = JSON.parse(readFileSync(join(__dirname, "cases/class-schedule.json"), "utf8")) as {
    meetings: Record<string, unknown>;
    invalid: string[];
};

test("each meeting of the shared table reaches class.json as its days and local times", () => {
    const entries = Object.keys(CASES.meetings);
    const cfg = parseClassConfig({ ...github, classSchedule: JSON.stringify(entries), timezone: "America/New_York" });
    const schedule = classSettings(cfg).classSchedule;
    assert.deepEqual(schedule.meetings, Object.values(CASES.meetings));
    assert.equal(schedule.timezone, "America/New_York");
    assert.equal(schedule.leadMinutes, 10);
});

for (const entry of CASES.invalid) {
    test(`a bad meeting is refused at preview naming classSchedule: ${JSON.stringify(entry)}`, () => {
        const [problem, ...more] = problemsOf({ ...github, classSchedule: JSON.stringify(["Tue 10:00-11:00", entry]) });
        assert.deepEqual(more, []);
        assert.equal(problem.key, "classSchedule");
        assert.match(problem.message, /^classSchedule\[1\]: got .*; expected (a meeting such as 'Mon,Wed 09:00-10:15'|an end different)/);
        assert.match(problem.message, /Fix: pulumi config set --path 'classSchedule\[1\]' 'Mon,Wed 09:00-10:15'/);
    });
}

test("the time zone is an IANA name, spelled as the time zone database spells it", () => {
    assert.equal(parseClassConfig({ ...github, timezone: "america/new_york" }).classSchedule.timezone, "America/New_York");
    assert.equal(parseClassConfig(github).classSchedule.timezone, "UTC");
    for (const bad of ["Mars/Olympus_Mons", "../../etc/passwd", "EST5EDT; rm -rf /"]) {
        const [problem] = problemsOf({ ...github, timezone: bad });
        assert.equal(problem.key, "timezone");
        assert.match(problem.message, /expected an IANA time zone such as America\/New_York/);
    }
});

test("the lead time defaults to 10 minutes and stays within a day's half", () => {
    assert.equal(parseClassConfig({ ...github, warmLeadMinutes: "25" }).classSchedule.leadMinutes, 25);
    assert.equal(problemsOf({ ...github, warmLeadMinutes: "-1" })[0].key, "warmLeadMinutes");
    assert.equal(problemsOf({ ...github, warmLeadMinutes: "721" })[0].key, "warmLeadMinutes");
});

// --- Memory honesty: pulumi preview warns when the roster's memory limits exceed the Droplet's memory ---

const warnings: string[] = [];
const consoleWarn = console.warn;
console.warn = (...args: unknown[]) => { warnings.push(args.join(" ")); };
after(() => { console.warn = consoleWarn; });

const students = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => `student-${i + 1}`));
const program = {
    dnsZone: "example.edu", subdomain: "engr101", region: "sfo3", letsEncryptEmail: "prof@example.edu",
    sshAllowedCidrs: '["203.0.113.0/24"]', authProvider: "github", oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: "planted-oauth-client-secret-91c2", adminUsers: '["prof-hopper"]',
};

test("preview warns about a roster whose memory limits exceed the Droplet's 4× over, naming dropletSize and sizes that fit", async () => {
    warnings.length = 0;
    // 60 × 2 GiB = 120 GiB; s-2vcpu-4gb holds 8 at 4× overcommit; 30 GiB is needed.
    const run = await runProgram({ ...program, dropletSize: "s-2vcpu-4gb", memoryLimit: "2G", allowedUsers: students(60) }, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
    const memory = warnings.filter((w) => w.includes("memoryLimit"));
    assert.equal(memory.length, 1, warnings.join("\n"));
    assert.match(memory[0], /dropletSize s-2vcpu-4gb has 4 GiB: 60 students × memoryLimit 2G exceed it more than 4×/);
    assert.match(memory[0], /room for 8; warming starts at most that many/);
    assert.match(memory[0], /Sizes that fit: c-16, g-8vcpu-32gb, m-4vcpu-32gb, c-32 \(pulumi config set dropletSize c-16\), or lower memoryLimit/);
});

test("preview does not warn about a roster that fits, and warming may start all of it", async () => {
    warnings.length = 0;
    const raw = { ...program, dropletSize: "s-4vcpu-8gb", memoryLimit: "512M", allowedUsers: students(60) };
    const run = await runProgram(raw, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
    assert.deepEqual(warnings.filter((w) => w.includes("memoryLimit")), []);
    const cfg = parseClassConfig({ ...raw, oauthClientSecret: SECRET_IS_SET });
    assert.equal(cfg.classSchedule.maxWarmServers, 64);
});

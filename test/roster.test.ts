import assert from "node:assert/strict";
import { test } from "node:test";
import { parseClassConfig, SECRET_IS_SET } from "../lib/config/classConfig";
import { parseRoster } from "../lib/config/roster";

const github = {
    dnsZone: "example.edu", subdomain: "engr101", letsEncryptEmail: "prof@example.edu",
    authProvider: "github", oauthClientId: "Iv1.abc", oauthClientSecret: SECRET_IS_SET,
};

test("a roster CSV with a header, comments, admins and mixed case", () => {
    const { roster, problems } = parseRoster("email,admin\r\nAda@Example.edu\n\n# TAs\ngrace@example.edu,yes\nlin,student\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(roster, {
        students: [{ name: "ada@example.edu", lineNo: 2 }, { name: "lin", lineNo: 6 }],
        admins: [{ name: "grace@example.edu", lineNo: 5 }],
        teachingAssistants: [],
    });
});

test("the role column makes teaching assistants, never instructors, of ta lines", () => {
    const cfg = parseClassConfig({ ...github, rosterFile: "r.csv" }, () => "user,role\nada\nprof,instructor\nted,TA\ntess,teaching assistant\n");
    assert.deepEqual(cfg.auth.allowedUsers, ["ada"]);
    assert.deepEqual(cfg.auth.adminUsers, ["prof"]);
    assert.deepEqual(cfg.auth.teachingAssistants, ["ted", "tess"]);
});

test("a roster's teaching assistant who is an instructor in the stack config is refused, naming the line", () => {
    assert.throws(() => parseClassConfig({ ...github, adminUsers: ["ted"], rosterFile: "r.csv" }, () => "ada\nted,ta\n"),
        /r\.csv line 2/);
});

test("bad roster rows are reported with their line numbers", () => {
    const { problems } = parseRoster("ada\nnot a name\nADA\nbob,maybe\ncy,admin,extra\n,admin\n");
    assert.deepEqual(problems.map((p) => p.split(":")[0]), ["line 2", "line 3", "line 4", "line 5", "line 6"]);
    assert.match(problems[1], /"ADA" is already on line 1/);
});

test("rosterFile adds its users to allowedUsers and adminUsers", () => {
    const cfg = parseClassConfig({ ...github, allowedUsers: ["zoe"], rosterFile: "r.csv" }, () => "ada\nprof,admin\n");
    assert.deepEqual(cfg.auth.allowedUsers, ["zoe", "ada"]);
    assert.deepEqual(cfg.auth.adminUsers, ["prof"]);
});

test("a roster file alone lets students in; a bad one names the file and line", () => {
    assert.doesNotThrow(() => parseClassConfig({ ...github, rosterFile: "r.csv" }, () => "ada\n"));
    assert.throws(() => parseClassConfig({ ...github, rosterFile: "r.csv" }, () => "ada\n<script>\n"),
        /rosterFile: got "r\.csv"; r\.csv line 2: "<script>" is not a user name or an e-mail address.*\. Fix: edit r\.csv/);
    assert.throws(() => parseClassConfig({ ...github, rosterFile: "missing.csv" }),
        /rosterFile: got "missing\.csv"; expected a readable file \(ENOENT\)/);
});

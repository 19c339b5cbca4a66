import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMeeting, Meeting } from "../lib/config/classSchedule";
import { DEFAULT_PLACEHOLDER_SCALER_IMAGE } from "../platforms/kubernetes/config";
import { placeholderScaling, warmWindows } from "../platforms/kubernetes/placeholderSchedule";
import { chartValues } from "../platforms/kubernetes/values";
import { runProgram, unwrap } from "./support/pulumiMocks";
import { parseStackConfig, previewProblems } from "./support/configCases";

const meetings = (...texts: string[]) => texts.map((t) => parseMeeting(t) as Meeting);
const scaling = (lead: number, ...texts: string[]) => placeholderScaling({ timezone: "America/New_York", leadMinutes: lead, meetings: meetings(...texts) });

test("each meeting day gets a scale-up lead minutes before the start and a scale-down at the end, in the class's zone", () => {
    assert.deepEqual(scaling(10, "Mon,Wed 09:00-10:15", "Fri 14:00-15:50"), {
        timeZone: "America/New_York",
        up: [{ name: "up-0850", schedule: "50 8 * * 1,3" }, { name: "up-1350", schedule: "50 13 * * 5" }],
        down: [{ name: "down-1015", schedule: "15 10 * * 1,3" }, { name: "down-1550", schedule: "50 15 * * 5" }],
    });
});

test("a lead before midnight scales up the day before; a meeting past midnight scales down the next day", () => {
    assert.deepEqual(scaling(30, "Mon 00:15-01:00"), {
        timeZone: "America/New_York",
        // Monday 00:15 − 30 minutes is Sunday (cron day 0) 23:45.
        up: [{ name: "up-2345", schedule: "45 23 * * 0" }],
        down: [{ name: "down-0100", schedule: "0 1 * * 1" }],
    });
    assert.deepEqual(scaling(10, "Fri,Sun 22:00-01:30"), {
        timeZone: "America/New_York",
        up: [{ name: "up-2150", schedule: "50 21 * * 0,5" }],
        // Friday's ends Saturday 01:30, Sunday's Monday 01:30.
        down: [{ name: "down-0130", schedule: "30 1 * * 1,6" }],
    });
});

test("overlapping or touching warm windows merge: no scale-down between them", () => {
    // Lab 10:15-12:00 warms at 10:05, inside the lecture: one window 08:50-12:00.
    assert.deepEqual(scaling(10, "Tue 09:00-10:15", "Tue 10:15-12:00"), {
        timeZone: "America/New_York",
        up: [{ name: "up-0850", schedule: "50 8 * * 2" }],
        down: [{ name: "down-1200", schedule: "0 12 * * 2" }],
    });
    // Sunday's late meeting runs into Monday's early one across the week's end.
    assert.deepEqual(warmWindows(meetings("Sun 23:00-00:30", "Mon 00:30-02:00"), 0), [[6 * 1440 + 23 * 60, 7 * 1440 + 120]]);
    // Warm all week: a scale-up, and nothing to scale down to.
    const always = scaling(0, "Mon,Tue,Wed,Thu,Fri,Sat,Sun 00:00-23:59", "Mon,Tue,Wed,Thu,Fri,Sat,Sun 23:59-00:00");
    assert.equal(always.up.length, 1);
    assert.deepEqual(always.down, []);
});

test("the lines are local wall-clock times: daylight saving time is the CronJob's timeZone's to apply", () => {
    // The same meeting in a zone with DST and one without gives the same lines, only the zone differs.
    const newYork = placeholderScaling({ timezone: "America/New_York", leadMinutes: 10, meetings: meetings("Mon 09:00-10:15") });
    const utc = placeholderScaling({ timezone: "UTC", leadMinutes: 10, meetings: meetings("Mon 09:00-10:15") });
    assert.deepEqual({ ...newYork, timeZone: "" }, { ...utc, timeZone: "" });
    assert.equal(newYork.timeZone, "America/New_York");
});

/** The 200-student class of test/kubernetes.test.ts, meeting twice a week. */
const engr101: Record<string, string> = {
    platform: "kubernetes", kubernetesVersion: "1.34.1-do.0", dnsZone: "example.edu", subdomain: "engr101", region: "sfo3",
    letsEncryptEmail: "prof@example.edu", authProvider: "github", oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: "planted-oauth-client-secret-91c2",
    allowedUsers: JSON.stringify(Array.from({ length: 200 }, (_, i) => `student-${i}`)), adminUsers: '["prof-hopper"]',
    classSchedule: '["Mon,Wed 09:00-10:15"]', timezone: "America/Chicago", warmLeadMinutes: "15",
};
const parse = parseStackConfig;

test("with a class schedule no placeholder is kept between meetings; a warm window holds as many as kubernetesMaxNodes", () => {
    const k8s = parse(engr101).kubernetes!;
    // 201 people, 6 a node → 34 nodes at most; between meetings the pool shrinks to 1 node.
    assert.deepEqual({ idle: k8s.userPlaceholders, warm: k8s.warmPlaceholders, min: k8s.userPool.minNodes, max: k8s.userPool.maxNodes },
        { idle: 0, warm: 204, min: 1, max: 34 });
    assert.equal(k8s.placeholderScalerImage, DEFAULT_PLACEHOLDER_SCALER_IMAGE);
    // The StatefulSet exists at 0 replicas, for the CronJobs to scale.
    assert.deepEqual(chartValues(parse(engr101)).scheduling.userPlaceholder, { enabled: true, replicas: 0 });
    const set = parse({ ...engr101, userPlaceholders: "5", kubernetesMaxNodes: "10" }).kubernetes!;
    assert.deepEqual([set.userPlaceholders, set.warmPlaceholders], [5, 60]);
});

test("the scheduled scale-up's keys are checked at preview, naming the key and the fix", () => {
    const problems = previewProblems;
    assert.ok(problems({ ...engr101, kubernetesVersion: "1.26.9-do.0" })
        .some((p) => /^kubernetesVersion: got "1\.26\.9-do\.0"; expected 1\.27 or newer with classSchedule.*Fix: pulumi config set kubernetesVersion/.test(p)));
    assert.ok(problems({ ...engr101, placeholderScalerImage: "registry.k8s.io/kubectl:v1.34.1" })
        .some((p) => /^placeholderScalerImage: got "registry\.k8s\.io\/kubectl:v1\.34\.1"; expected an image pinned by digest/.test(p)));
    assert.deepEqual(problems(engr101), []);
});

test("the stack makes one CronJob per scale time, in the class's zone, run by an account that may only scale the placeholders", async () => {
    const run = await runProgram(engr101, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
    const cronJobs = run.ofType("kubernetes:batch/v1:CronJob").map((r) => unwrap(r.inputs));
    assert.deepEqual(cronJobs.map((c) => [c.metadata.name, c.spec.schedule, c.spec.timeZone]).sort(), [
        ["placeholders-down-1015", "15 10 * * 1,3", "America/Chicago"],
        ["placeholders-up-0845", "45 8 * * 1,3", "America/Chicago"],
    ]);
    for (const cronJob of cronJobs) {
        assert.equal(cronJob.metadata.namespace, "jupyterhub-classroom");
        const pod = cronJob.spec.jobTemplate.spec.template.spec;
        assert.equal(pod.serviceAccountName, "placeholder-scaler");
        assert.deepEqual(pod.nodeSelector, { "hub.jupyter.org/node-purpose": "core" });
        assert.equal(pod.securityContext.runAsNonRoot, true);
        const [container] = pod.containers;
        assert.equal(container.image, DEFAULT_PLACEHOLDER_SCALER_IMAGE);
        const replicas = cronJob.metadata.name.includes("-up-") ? 204 : 0;
        assert.deepEqual(container.command, ["/bin/kubectl", "patch", "statefulset", "user-placeholder", "--namespace=jupyterhub-classroom",
            "--subresource=scale", "--type=merge", `--patch={"spec":{"replicas":${replicas}}}`, "--cache-dir=/cache"]);
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    }
    // Namespaced rights only: one Role, on the scale of the one StatefulSet, get and patch.
    assert.equal(run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
    assert.equal(run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
    const [role] = run.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").map((r) => unwrap(r.inputs));
    assert.deepEqual(role.rules, [{ apiGroups: ["apps"], resources: ["statefulsets/scale"], resourceNames: ["user-placeholder"], verbs: ["get", "patch"] }]);
    const [binding] = run.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").map((r) => unwrap(r.inputs));
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "placeholder-scaler", namespace: "jupyterhub-classroom" }]);
    // The release starts the StatefulSet at the between-meetings count, 0.
    const release = run.named("class-release", "kubernetes:helm.sh/v3:Release").inputs;
    assert.deepEqual(release.values.scheduling.userPlaceholder, { enabled: true, replicas: 0 });
});

test("without a class schedule there is no CronJob and no role", async () => {
    const { classSchedule: _unused, ...unscheduled } = engr101;
    const run = await runProgram(unscheduled, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
    for (const type of ["kubernetes:batch/v1:CronJob", "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:core/v1:ServiceAccount"]) {
        assert.equal(run.ofType(type).length, 0, type);
    }
});

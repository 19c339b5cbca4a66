import assert from "node:assert/strict";
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { before, test } from "node:test";
import { renderUserData } from "../lib/userData";
import { run } from "../localServer/process";
import { devConfig, requireTools, STACK_PUBLIC_KEY, temporaryDirectory, writeFiles } from "./support/server";

const UNIT_DIR = "/etc/systemd/system/";

before(() => requireTools({ "systemd-analyze": "systemd" }));

/**
 * systemd-analyze verify also checks that every Exec*= program exists and is executable. Those
 * are installed by install.sh, not on this machine, so the units are verified in a root of their
 * own: this machine's unit library, the rendered units, and an executable file at each program path.
 */
test("systemd-analyze verify finds nothing wrong with any unit in the user-data, and the sandboxes hold", async (t) => {
    const files = writeFiles(renderUserData(devConfig(), [STACK_PUBLIC_KEY])).filter((f) => f.path.startsWith(UNIT_DIR));
    // Units, and drop-ins for units of Debian's packages (nftables.service.d/).
    const units = files.filter((f) => dirname(f.path) === dirname(`${UNIT_DIR}x`));
    assert.deepEqual(units.map((u) => basename(u.path)).sort(), [
        "jupyterhub-classroom-firewall-restore.service", "jupyterhub-classroom-firewall.service",
        "jupyterhub-classroom-firewall.timer", "jupyterhub.service", "traefik.service",
    ]);
    assert.deepEqual(files.filter((f) => !units.includes(f)).map((f) => f.path),
        [`${UNIT_DIR}nftables.service.d/jupyterhub-classroom.conf`]);
    const root = temporaryDirectory("units");
    try {
        cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true, verbatimSymlinks: true });
        for (const unit of files) {
            mkdirSync(join(root, dirname(unit.path)), { recursive: true });
            writeFileSync(join(root, unit.path), unit.content);
            for (const program of execPrograms(unit.content.toString())) {
                mkdirSync(join(root, dirname(program)), { recursive: true });
                writeFileSync(join(root, program), "#!/bin/sh\n");
                chmodSync(join(root, program), 0o755);
            }
        }
        const result = await run("systemd-analyze", ["verify", `--root=${root}`, ...units.map((u) => u.path), `${UNIT_DIR}nftables.service`]);
        const ours = `${result.stdout}${result.stderr}`.split("\n")
            .filter((line) => files.some((u) => line.includes(basename(u.path))) || line.includes("nftables.service"));
        assert.deepEqual(ours, [], "systemd-analyze verify complained about our units");
        assert.equal(result.code, 0, result.stderr);

        // systemd's own exposure score (0 sealed … 10 unconfined): Traefik barely exposed, the
        // root hub still well confined. Kept so that a lost sandbox line fails here.
        for (const [unit, threshold] of [["traefik.service", 2], ["jupyterhub.service", 5]] as const) {
            const security = await run("systemd-analyze", ["security", "--offline=true", `--root=${root}`, `--threshold=${threshold * 10}`, unit]);
            t.diagnostic(security.stdout.trim().split("\n").pop() ?? "");
            assert.equal(security.code, 0, `${unit} is more exposed than ${threshold}:\n${security.stdout}${security.stderr}`);
        }
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
});

/** The programs of ExecStart=, ExecStop= and friends, without systemd's prefixes (-, @, +, !, :). */
function execPrograms(unit: string): string[] {
    return [...unit.matchAll(/^Exec[A-Za-z]*=[-@+!:]*(\/\S+)/gm)].map((m) => m[1]);
}

test("jupyterhub.service stops with its services, wants Traefik without restarting with it, and waits for class.json", () => {
    const hub = writeFiles(renderUserData(devConfig(), [])).find((f) => f.path === `${UNIT_DIR}jupyterhub.service`)!;
    const settings = hub.content.toString().split("\n").filter((l) => /^[A-Za-z]+=/.test(l));
    // Students' servers are units of their own (test:e2e step 8 restarts the hub under them).
    assert.ok(!settings.some((l) => l.startsWith("KillMode=")), "the hub's idle culler must stop with the hub");
    for (const line of [
        "Wants=traefik.service",
        "ConditionPathExists=/etc/jupyterhub-classroom/class.json",
        "WorkingDirectory=/var/lib/jupyterhub",
        "ExecStart=/opt/jupyterhub-classroom/hub/bin/jupyterhub -f /etc/jupyterhub-classroom/jupyterhub_config.py",
    ]) {
        assert.ok(settings.includes(line), `jupyterhub.service lacks ${line}`);
    }
    assert.ok(settings.some((l) => l.startsWith("After=") && l.includes("traefik.service")), "jupyterhub.service is not ordered after Traefik");
    // Requires= or BindsTo= would stop or restart the hub with every restart of Traefik (test:e2e step 8).
    assert.ok(!settings.some((l) => /^(Requires|BindsTo|PartOf)=.*traefik/.test(l)), "a restart of Traefik would restart the hub");
});

test("the students' firewall rules are loaded after nftables.service, again each time it flushes them, every minute, and before the hub starts", () => {
    const files = writeFiles(renderUserData(devConfig(), []));
    const settings = (path: string) => files.find((f) => f.path === path)!.content.toString().split("\n").filter((l) => /^[A-Za-z]+=/.test(l));
    const load = "/usr/sbin/nft -f /etc/jupyterhub-classroom/students.nft";
    const firewall = settings(`${UNIT_DIR}jupyterhub-classroom-firewall.service`);
    assert.ok(firewall.includes(`ExecStart=${load}`) && firewall.includes("After=nftables.service"), firewall.join("\n"));
    // nftables.service's start, reload and stop each flush the whole ruleset.
    assert.deepEqual(settings(`${UNIT_DIR}nftables.service.d/jupyterhub-classroom.conf`),
        [`ExecStartPost=${load}`, `ExecReload=${load}`, `ExecStopPost=${load}`]);
    assert.ok(settings(`${UNIT_DIR}jupyterhub-classroom-firewall-restore.service`).includes(`ExecStart=${load}`));
    const timer = settings(`${UNIT_DIR}jupyterhub-classroom-firewall.timer`);
    assert.ok(timer.includes("OnUnitActiveSec=1min") && timer.includes("Unit=jupyterhub-classroom-firewall-restore.service"), timer.join("\n"));
    const hub = settings(`${UNIT_DIR}jupyterhub.service`);
    assert.ok(hub.includes(`ExecStartPre=+${load}`), "the hub does not load the students' firewall before it starts");
    assert.ok(hub.includes("Requires=jupyterhub-classroom-firewall.service"));
});

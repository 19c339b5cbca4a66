import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { before, test } from "node:test";
import { parse } from "yaml";
import { parseClassConfig } from "../lib/config/classConfig";
import { renderSyncDocument, renderUserData, USER_DATA_LIMIT } from "../lib/userData";
import { run } from "../localServer/process";
import {
    CLOUD_INIT, devConfig, LIB, listFiles, providerConfig, requireTools, serverFiles, STACK_PUBLIC_KEY,
    temporaryDirectory, writeFiles,
} from "./support/server";

const PROVIDERS = ["github", "google", "oidc"] as const;

before(() => requireTools({ "cloud-init": "cloud-init", tar: "tar" }));

test("cloud-init's own schema check accepts the dev class's and each provider's user-data without a warning", async () => {
    const dir = temporaryDirectory("schema");
    try {
        const configs = { dev: devConfig(), ...Object.fromEntries(PROVIDERS.map((p) => [p, providerConfig(p)])) };
        for (const [name, cfg] of Object.entries(configs)) {
            const file = join(dir, `${name}.yaml`);
            writeFileSync(file, renderUserData(cfg, [STACK_PUBLIC_KEY]));
            const result = await run("cloud-init", ["schema", "--config-file", file]);
            assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
            assert.equal(`${result.stdout.trim()}|${result.stderr.trim()}`, `Valid cloud-config: ${file}|`, name);
        }
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test("the user-data stays under DigitalOcean's 64 KiB", (t) => {
    const size = Buffer.byteLength(renderUserData(devConfig(), [STACK_PUBLIC_KEY]));
    t.diagnostic(`user-data: ${size} bytes, ${Math.round((100 * size) / USER_DATA_LIMIT)}% of ${USER_DATA_LIMIT}`);
    assert.ok(size < USER_DATA_LIMIT, `${size} bytes`);
});

test("roster, limits, login page, course and OAuth settings never change the user-data", () => {
    const first = providerConfig("github");
    const other = providerConfig("oidc", {
        oauthClientId: "another-client",
        allowedUsers: ["grace@example.edu", "edsger@example.edu"],
        adminUsers: ["prof@example.edu"],
        oidcUsernameClaim: "preferred_username",
        courseRepoUrl: "https://git.example.edu/engr101.git",
        courseRepoBranch: "fall",
        courseDirectory: "labs",
        coursePackages: ["scipy==1.14.1"],
        memoryLimit: "4G",
        cpuLimit: 2,
        idleTimeoutSeconds: 600,
        concurrentSpawnLimit: 5,
        loginTitle: "Another title",
        loginLogoUrl: "https://example.edu/logo.png",
        loginPrimaryColor: "#000000",
        loginAnnouncement: "Exam on Friday",
        loginHelpLinks: [{ text: "Help", url: "https://example.edu/help" }],
    });
    const rendered = renderUserData(first, [STACK_PUBLIC_KEY]);
    assert.equal(renderUserData(other, [STACK_PUBLIC_KEY]), rendered);
    assert.equal(renderUserData(providerConfig("google"), [STACK_PUBLIC_KEY]), rendered);
    assert.equal(renderUserData(first, [STACK_PUBLIC_KEY]), rendered, "rendering twice gives the same bytes");
});

test("planted secrets and class settings appear nowhere in the user-data, nor in any file it carries", async () => {
    const planted = {
        oauthClientSecret: "PLANTED-oauth-client-secret",
        courseRepoToken: "PLANTED-course-token",
        sshPrivateKey: "PLANTED-ssh-private-key",
        oauthClientId: "PLANTED-client-id",
        allowedUsers: ["planted-student"],
        adminUsers: ["planted-admin"],
        courseRepoUrl: "https://git.example.edu/PLANTED-course.git",
        loginTitle: "PLANTED title",
        loginAnnouncement: "PLANTED announcement",
    };
    // Straight into the validator, as if the secrets had reached it: they must still not leak.
    const cfg = parseClassConfig({
        dnsZone: "example.edu", subdomain: "engr101", letsEncryptEmail: "instructor@example.edu", authProvider: "github",
        ...planted,
    });
    const userData = renderUserData(cfg, [STACK_PUBLIC_KEY]);
    const syncDocument = renderSyncDocument(cfg, [STACK_PUBLIC_KEY]);
    const carried = [userData, syncDocument, ...[...(await serverFiles(userData)).values(), ...(await serverFiles(syncDocument)).values()]
        .map((f) => f.content.toString("latin1"))];
    for (const value of Object.values(planted).flat()) {
        const marker = value.replace(/^https:\/\/git\.example\.edu\//, "");
        assert.ok(!carried.some((text) => text.includes(marker)), `${marker} reached the server through user-data`);
    }
});

test("every server file under cloud-init/ reaches the server byte for byte through HubSync, scripts executable", async () => {
    const files = await serverFiles(renderSyncDocument(devConfig(), [STACK_PUBLIC_KEY]));
    const delivered = [...files.values()];
    const notShipped = (source: string) => source === "user-data.yaml" || source.endsWith(".in")
        || source === "traefik/traefik.yaml" || source === "traefik/defaults.yaml" || source === "traefik/dns-challenge.yaml" || source.split("/").some((p) => p.startsWith(".") || p === "__pycache__");
    for (const path of listFiles(CLOUD_INIT)) {
        const source = relative(CLOUD_INIT, path);
        if (notShipped(source)) continue;
        const content = readFileSync(path);
        const copy = delivered.find((f) => f.content.equals(content));
        assert.ok(copy, `cloud-init/${source} is not in the user-data`);
        const script = content.subarray(0, 2).toString() === "#!";
        assert.equal(copy.mode, script ? 0o755 : 0o644, `mode of cloud-init/${source}`);
    }
    // Paths other parts rely on: runcmd, HubSettings, the .pth file and classroom_hub.TEMPLATES, docs/architecture.md.
    for (const path of [
        `${LIB}/install.sh`, `${LIB}/classroom-apply`, `${LIB}/requirements/hub.txt`, `${LIB}/requirements/user.txt`,
        `${LIB}/python/classroom_hub/__init__.py`, `${LIB}/templates/login.html`,
        "/etc/jupyterhub-classroom/jupyterhub_config.py", "/etc/jupyterhub-classroom/server.json", "/etc/traefik/traefik.yaml",
        "/etc/systemd/system/traefik.service", "/etc/systemd/system/jupyterhub.service",
    ]) {
        assert.ok(files.has(path), `${path} is not written`);
    }
    assert.deepEqual((parse(renderUserData(devConfig(), [])) as { runcmd: unknown }).runcmd, [["bash", `${LIB}/install.sh`]]);
});

test("the first boot's user-data leaves out only the day-2 tools, which HubSync brings", async () => {
    const firstBoot = await serverFiles(renderUserData(devConfig(), [STACK_PUBLIC_KEY]));
    const complete = await serverFiles(renderSyncDocument(devConfig(), [STACK_PUBLIC_KEY]));
    const missing = [...complete.keys()].filter((path) => !firstBoot.has(path)).sort();
    assert.deepEqual(missing, [
        "classroom-archive", "classroom-health", "classroom-restore", "classroom-usage", "classroom-warm",
        "jupyter/grader/jupyter_server_config.py", "jupyter/grader/labconfig/page_config.json", "jupyter/jupyter_server_config.py",
        "python/classroom_hub/accounts.py", "python/classroom_hub/admission.py", "python/classroom_hub/authenticators.py",
        "python/classroom_hub/course_mirror.py", "python/classroom_hub/course_repo.py", "python/classroom_hub/grading.py", "python/classroom_hub/hub_rights.py",
        "python/classroom_hub/pages.py", "python/classroom_hub/processes.py", "python/classroom_hub/proxy.py",
        "python/classroom_hub/quotas.py", "python/classroom_hub/sandbox.py", "python/classroom_hub/schedule.py",
        "python/classroom_hub/services.py", "python/classroom_hub/shared_data.py", "python/classroom_hub/spawn_hook.py",
        "python/classroom_hub/spawner.py", "python/classroom_hub/staff.py", "python/classroom_hub/student_copy.py",
        "python/classroom_hub/warmer.py",
        "python/classroom_ops/archive.py", "python/classroom_ops/health.py", "python/classroom_ops/restore.py",
        "requirements/user.txt", "schema/class.schema.json", "schema/secrets.schema.json", "templates/home.html",
    ].map((source) => `${LIB}/${source}`));
    for (const [path, file] of firstBoot) {
        if (path !== `${LIB}/library.tar`) assert.ok(file.content.equals(complete.get(path)!.content), `${path} differs`);
    }
    assert.ok(firstBoot.has(`${LIB}/classroom-sync`) && firstBoot.has(`${LIB}/classroom-apply`), "the first boot must be able to receive the rest");
});

test("the library archive is one install.sh can compare and unpack with tar", async () => {
    const library = writeFiles(renderUserData(devConfig(), [])).find((f) => f.path === `${LIB}/library.tar`)!;
    const dir = temporaryDirectory("unpack");
    try {
        const archive = join(dir, "library.tar");
        writeFileSync(archive, library.content);
        const before = await run("tar", ["--compare", "--file", archive, "--directory", dir]);
        assert.equal(before.code, 1, "an empty directory differs from the archive");
        assert.equal((await run("tar", ["--extract", "--file", archive, "--directory", dir])).code, 0);
        const after = await run("tar", ["--compare", "--file", archive, "--directory", dir]);
        assert.equal(after.code, 0, `unpacked files still differ: ${after.stdout}${after.stderr}`);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test("with one shared origin, Traefik's static config gets the class's hostname and ACME account and nothing else", () => {
    // perStudentOrigins' DNS-01 and wildcard: test/perStudentOrigins.test.ts.
    const cfg = providerConfig("github", { acmeDirectoryUrl: "https://acme.example.edu/directory", perStudentOrigins: false });
    const rendered = writeFiles(renderUserData(cfg, [])).find((f) => f.path === "/etc/traefik/traefik.yaml")!;
    const config = parse(rendered.content.toString());
    assert.deepEqual(config.entryPoints.websecure.http.tls.domains, [{ main: "engr101.example.edu" }]);
    assert.equal(config.certificatesResolvers.letsencrypt.acme.email, "instructor@example.edu");
    assert.equal(config.certificatesResolvers.letsencrypt.acme.caServer, "https://acme.example.edu/directory");
    delete config.entryPoints.websecure.http.tls.domains;
    delete config.certificatesResolvers.letsencrypt.acme.email;
    delete config.certificatesResolvers.letsencrypt.acme.caServer;
    assert.deepEqual(config, parse(readFileSync(join(CLOUD_INIT, "traefik/traefik.yaml"), "utf8")));
});

test("with one shared origin, Traefik's defaults get the class's hostname, as the one host the other-hosts router does not refuse, and nothing else", () => {
    const rendered = writeFiles(renderUserData(providerConfig("github", { perStudentOrigins: false }), [])).find((f) => f.path === "/var/lib/jupyterhub-classroom/traefik-rules/defaults.yaml")!;
    const config = parse(rendered.content.toString());
    assert.equal(config.http.routers["other-hosts"].rule, "!(Host(`engr101.example.edu`))");
    delete config.http.routers["other-hosts"].rule;
    assert.deepEqual(config, parse(readFileSync(join(CLOUD_INIT, "traefik/defaults.yaml"), "utf8")));
});

test("server.json and the admin user: keys only, no root", () => {
    const cfg = providerConfig("github", {
        adminUser: "prof",
        adminSshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDDdW/0w+ITkYcnvztvchqLmlfyd5ku8yAAPgIrE/MOQ laptop", STACK_PUBLIC_KEY],
        image: "debian-12-x64",
    });
    const userData = renderUserData(cfg, [STACK_PUBLIC_KEY]);
    const doc = parse(userData);
    assert.equal(doc.ssh_pwauth, false);
    assert.equal(doc.disable_root, true);
    assert.equal(doc.fqdn, "engr101.example.edu");
    assert.deepEqual(doc.users, [{
        name: "prof", shell: "/bin/bash", sudo: "ALL=(ALL) NOPASSWD:ALL", lock_passwd: true,
        ssh_authorized_keys: [STACK_PUBLIC_KEY, cfg.admin.sshKeys[0]],
    }]);
    const server = writeFiles(userData).find((f) => f.path === "/etc/jupyterhub-classroom/server.json")!;
    assert.deepEqual(JSON.parse(server.content.toString()), {
        hostname: "engr101.example.edu", adminUser: "prof", image: "debian-12-x64",
    });
});

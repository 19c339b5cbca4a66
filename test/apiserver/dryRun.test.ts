import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseClassConfig } from "../../lib/config/classConfig";
import { rawClassConfig } from "../../lib/config/stack";
import { restoreObjects } from "../../platforms/kubernetes/restore";
import { namespaced, runProgram, unwrap } from "../support/pulumiMocks";

/**
 * Opt-in (`npm run test:apiserver`): a real kube-apiserver, on a real etcd, on loopback, accepts by
 * server-side dry run every Kubernetes object the stack creates itself (the chart's own objects
 * are Helm's). KUBE_APISERVER names the kube-apiserver binary (docs/kubernetes.md says how to
 * build one); etcd comes from PATH (Debian's etcd-server).
 */
const APISERVER = process.env.KUBE_APISERVER;
const TOKEN = "dry-run-test-token";
const dir = mkdtempSync(join(tmpdir(), "classroom-apiserver-"));
const children: ChildProcess[] = [];
let apiPort = 0;

const freePort = () => new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
    });
});

function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
        const req = request({
            host: "127.0.0.1", port: apiPort, method, path, rejectUnauthorized: false,
            headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": contentType, Accept: "application/json" },
        }, (res) => {
            let text = "";
            res.on("data", (chunk) => { text += chunk; });
            // /readyz answers in plain text.
            res.on("end", () => resolve({ status: res.statusCode!, body: res.headers["content-type"]?.includes("json") ? JSON.parse(text) : text }));
        });
        req.on("error", reject);
        if (body !== undefined) req.write(JSON.stringify(body));
        req.end();
    });
}

before(async () => {
    assert.ok(APISERVER, "set KUBE_APISERVER to a kube-apiserver binary (docs/kubernetes.md)");
    const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
    apiPort = await freePort();
    children.push(spawn("etcd", [
        "--data-dir", join(dir, "etcd"), "--listen-client-urls", `http://127.0.0.1:${etcdClient}`,
        "--advertise-client-urls", `http://127.0.0.1:${etcdClient}`, "--listen-peer-urls", `http://127.0.0.1:${etcdPeer}`,
        "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeer}`, "--initial-cluster", `default=http://127.0.0.1:${etcdPeer}`,
    ], { stdio: "ignore" }));
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "tokens.csv"), `${TOKEN},admin,admin,system:masters\n`);
    children.push(spawn(APISERVER!, [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`, `--cert-dir=${join(dir, "certs")}`, `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC", "--service-cluster-ip-range=10.96.0.0/16",
        "--service-account-issuer=https://kubernetes.default.svc", `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
    ], { stdio: "ignore" }));
    for (let tries = 0; ; tries++) {
        const ready = await call("GET", "/readyz").catch(() => undefined);
        if (ready?.status === 200) break;
        assert.ok(tries < 240, "kube-apiserver did not become ready in 2 minutes");
        await new Promise((r) => setTimeout(r, 500));
    }
});

after(() => {
    for (const child of children.reverse()) child.kill();
    rmSync(dir, { recursive: true, force: true });
});

/** A registered input as the object the provider sends: secrets unwrapped at every depth. */
const plain = (value: any): any => {
    const v = unwrap(value);
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
};

const groupPath = (apiVersion: string) => (apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`);
const plural = (kind: string) => (kind === "PersistentVolumeClaim" ? "persistentvolumeclaims" : `${kind.toLowerCase()}s`);
const pathOf = (o: any, name = o.metadata.name) => o.kind === "Namespace"
    ? `/api/v1/namespaces/${name}` : `${groupPath(o.apiVersion)}/namespaces/${o.metadata.namespace}/${plural(o.kind)}/${name}`;

const apply = (o: any, dryRun: boolean) => call("PATCH",
    `${pathOf(o)}?fieldManager=pulumi-kubernetes&force=true${dryRun ? "&dryRun=All" : ""}`, o, "application/apply-patch+yaml");

/** The stack's own Kubernetes objects, as sent: the Release's are the chart's, the proxy Service is only read. */
async function ownObjects() {
    const run = await runProgram({
        platform: "kubernetes", kubernetesVersion: "1.34.1-do.0", dnsZone: "example.edu", subdomain: "engr101",
        letsEncryptEmail: "prof@example.edu", authProvider: "github", oauthClientId: "Iv1.0123456789abcdef",
        oauthClientSecret: "planted-oauth-client-secret-91c2", allowedUsers: '["ada"]',
        classSchedule: '["Mon,Wed 09:00-10:15"]', timezone: "America/Chicago",
    }, ["oauthClientSecret"]);
    const own = run.registered.filter((r) => /^kubernetes:(core|batch|rbac\.authorization\.k8s\.io)\//.test(r.type) && r.type !== "kubernetes:core/v1:Service");
    // The namespace first, then what its roles and jobs name.
    const order = ["Namespace", "Secret", "ServiceAccount", "Role", "RoleBinding", "CronJob"];
    return own.map((r) => plain(r.inputs)).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

test("the API server accepts, by server-side dry run, every object the stack creates itself", async () => {
    const objects = await ownObjects();
    assert.deepEqual(objects.map((o) => o.kind), ["Namespace", "Secret", "ServiceAccount", "Role", "RoleBinding", "CronJob", "CronJob"]);
    for (const object of objects) {
        const dry = await apply(object, true);
        assert.ok(dry.status === 200 || dry.status === 201, `${object.kind}: ${JSON.stringify(dry.body)}`);
        // The Secret's dry run needs its namespace to exist; nothing else is created for real.
        if (object.kind === "Namespace") assert.ok([200, 201].includes((await apply(object, false)).status));
    }
    // restoreHomes.ts's objects for one student (a Droplet archive into the cluster), kubectl's to create.
    const cfg = parseClassConfig(rawClassConfig(namespaced({
        platform: "kubernetes", kubernetesVersion: "1.34.1-do.0", dnsZone: "example.edu", subdomain: "engr101",
        letsEncryptEmail: "prof@example.edu", authProvider: "github", oauthClientId: "Iv1.0123456789abcdef",
        oauthClientSecret: "x", allowedUsers: '["ada"]',
    })));
    const restore = restoreObjects(cfg, { hubName: "ada", claim: "claim-ada", tar: "ada.tar" });
    // A cluster's controller manager makes each namespace's "default" account, which a pod's admission looks up; none runs here.
    const defaultAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: restore.pod.metadata.namespace } };
    assert.ok([200, 201].includes((await apply(defaultAccount, false)).status));
    for (const object of [restore.claim, restore.pod]) {
        const dry = await apply(object, true);
        assert.ok(dry.status === 200 || dry.status === 201, `${object.kind}: ${JSON.stringify(dry.body)}`);
    }
    const wrongType = { ...objects.find((o) => o.kind === "Secret"), type: 42 };
    assert.equal((await apply(wrongType, true)).status >= 400, true, "the server checks what it is sent");
});

test("the placeholder CronJob's own command, as its service account, scales user-placeholder and nothing else", async () => {
    const objects = await ownObjects();
    const namespace = objects[0].metadata.name;
    for (const object of objects.filter((o) => ["ServiceAccount", "Role", "RoleBinding"].includes(o.kind))) {
        assert.ok([200, 201].includes((await apply(object, false)).status), object.kind);
    }
    const statefulSet = (name: string) => ({
        apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name, namespace },
        spec: { replicas: 0, serviceName: name, selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "pause", image: "registry.k8s.io/pause:3.10" }] } } },
    });
    for (const name of ["user-placeholder", "hub-like"]) assert.ok([200, 201].includes((await apply(statefulSet(name), false)).status));
    const token = await call("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/placeholder-scaler/token`,
        { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const cache = mkdtempSync(join(dir, "kube-cache-"));
    // kubectl from PATH with the CronJob's arguments; only the cache directory is local.
    const kubectl = (args: string[]) => spawnSync("kubectl", [...args.map((a) => (a.startsWith("--cache-dir=") ? `--cache-dir=${cache}` : a)),
        `--server=https://127.0.0.1:${apiPort}`, `--token=${token.body.status.token}`, "--insecure-skip-tls-verify"], { encoding: "utf8" });
    const up = objects.find((o) => o.kind === "CronJob" && o.metadata.name.includes("-up-"));
    const [, ...args] = up.spec.jobTemplate.spec.template.spec.containers[0].command;
    const scaled = kubectl(args);
    assert.equal(scaled.status, 0, scaled.stderr);
    const replicas = JSON.parse(args.find((a: string) => a.startsWith("--patch=")).slice("--patch=".length)).spec.replicas;
    assert.equal((await call("GET", `/apis/apps/v1/namespaces/${namespace}/statefulsets/user-placeholder`)).body.spec.replicas, replicas);
    const other = kubectl(args.map((a: string) => (a === "user-placeholder" ? "hub-like" : a)));
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /forbidden/i);
    const secrets = kubectl(["get", "secrets", `--namespace=${namespace}`, "--cache-dir=x"]);
    assert.notEqual(secrets.status, 0);
    assert.match(secrets.stderr, /forbidden/i);
});

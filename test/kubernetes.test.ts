import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { CORE_POOL, DEFAULT_SINGLEUSER_IMAGE } from "../platforms/kubernetes/config";
import { kubernetesStack } from "../platforms/kubernetes/stack";
import { CHART, chartValues, HUB_SECRET } from "../platforms/kubernetes/values";
import { chartValuesSchema } from "../platforms/kubernetes/valuesSchema";
import { isSecretInput, plainText, runProgram, unwrap, valueOf } from "./support/pulumiMocks";
import { parseStackConfig, previewProblems } from "./support/configCases";

const PLANTED = "planted-oauth-client-secret-91c2";

/** A 200-student class on the cluster, as `pulumi config set` stores it. */
const engr101: Record<string, string> = {
    platform: "kubernetes",
    kubernetesVersion: "1.34.1-do.0",
    dnsZone: "example.edu",
    subdomain: "engr101",
    region: "sfo3",
    letsEncryptEmail: "prof@example.edu",
    authProvider: "github",
    oauthClientId: "Iv1.0123456789abcdef",
    oauthClientSecret: PLANTED,
    allowedUsers: JSON.stringify(Array.from({ length: 200 }, (_, i) => `student-${i}`)),
    adminUsers: '["prof-hopper"]',
    courseRepoUrl: "https://github.com/example/engr101-notebooks.git",
    loginTitle: "ENGR 101",
};

const parse = parseStackConfig;
const problemsOf = previewProblems;

let run: Awaited<ReturnType<typeof runProgram>>;
before(async () => {
    run = await runProgram(engr101, ["oauthClientSecret"]);
    assert.equal(run.error, undefined);
});

const typeOf = (urn: string) => urn.split("::")[2].split("$").at(-1);
const parentOf = (urn: string) => urn.split("::")[2].split("$").slice(0, -1).join("$");

test("platform kubernetes makes a cluster, two pools, a provider, the release and the DNS record; no Droplet", () => {
    const children = run.urns.filter((u) => parentOf(u) !== "").map((u) => `${parentOf(u).split("$").at(-1)} > ${typeOf(u)}::${u.split("::")[3]}`).sort();
    assert.deepEqual(children, [
        "jupyterhub-classroom:index:ClassCluster > digitalocean:index/kubernetesCluster:KubernetesCluster::class-cluster",
        "jupyterhub-classroom:index:ClassCluster > digitalocean:index/kubernetesNodePool:KubernetesNodePool::class-users",
        "jupyterhub-classroom:index:ClassCluster > pulumi:providers:kubernetes::class-provider",
        "jupyterhub-classroom:index:ClassRelease > kubernetes:core/v1:Namespace::class-namespace",
        "jupyterhub-classroom:index:ClassRelease > kubernetes:core/v1:Secret::class-hub-secret",
        "jupyterhub-classroom:index:ClassRelease > kubernetes:core/v1:Service::class-proxy-public",
        "jupyterhub-classroom:index:ClassRelease > kubernetes:helm.sh/v3:Release::class-release",
        "jupyterhub-classroom:index:ClassRelease > random:index/randomPassword:RandomPassword::class-cookie-secret",
        "jupyterhub-classroom:index:HubDns > cloudflare:index/dnsRecord:DnsRecord::class-a",
    ]);
    assert.equal(run.ofType("digitalocean:index/droplet:Droplet").length, 0);
    assert.equal(run.ofType("digitalocean:index/volume:Volume").length, 0);
    assert.equal(run.ofType("command:remote:Command").length, 0);
});

test("the cluster is pinned and regional; hub and proxy get a core pool, students an autoscaling pool", () => {
    const cluster = run.named("class-cluster", "digitalocean:index/kubernetesCluster:KubernetesCluster").inputs;
    assert.equal(cluster.name, "jupyterhub-classroom-engr101");
    assert.equal(cluster.region, "sfo3");
    assert.equal(cluster.version, "1.34.1-do.0");
    assert.equal(cluster.autoUpgrade, false);
    assert.equal(cluster.destroyAllAssociatedResources, false);
    assert.deepEqual(cluster.nodePool, { name: "core", size: CORE_POOL.size, nodeCount: 1, labels: { "hub.jupyter.org/node-purpose": "core" } });
    const users = run.named("class-users", "digitalocean:index/kubernetesNodePool:KubernetesNodePool").inputs;
    // 201 people, 2G limit → 1G guaranteed; s-4vcpu-8gb holds 6 by memory (¾ of 8 GiB), 12 by CPU.
    // Placeholders: a tenth of 201 → 21, on 4 nodes; at most all 201 at once → 34 nodes.
    assert.deepEqual({ size: users.size, autoScale: users.autoScale, minNodes: users.minNodes, maxNodes: users.maxNodes },
        { size: "s-4vcpu-8gb", autoScale: true, minNodes: 4, maxNodes: 34 });
    assert.equal(users.clusterId, "class-cluster-id");
    assert.deepEqual(users.labels, { "hub.jupyter.org/node-purpose": "user" });
});

test("the Kubernetes provider gets the cluster's kubeconfig as a secret", async () => {
    const provider = run.named("class-provider", "pulumi:providers:kubernetes").inputs;
    assert.equal(unwrap(provider.kubeconfig), run.world.kubeconfig);
    const program = run.program as ReturnType<typeof kubernetesStack>;
    assert.equal(await valueOf(program.kubeconfig), run.world.kubeconfig);
    assert.equal(await pulumi.isSecret(program.kubeconfig), true);
});

test("the release is the pinned chart from its official repository, with the values of chartValues", () => {
    const release = run.named("class-release", "kubernetes:helm.sh/v3:Release").inputs;
    assert.equal(release.chart, "jupyterhub");
    assert.equal(release.version, CHART.version);
    assert.deepEqual(release.repositoryOpts, { repo: "https://hub.jupyter.org/helm-chart/" });
    assert.equal(release.namespace, "jupyterhub-classroom");
    assert.deepEqual(release.values, JSON.parse(JSON.stringify(chartValues(parse(engr101)))));
    assert.ok(!isSecretInput(release.values), "values are plain: a preview shows what changes");
});

test("secrets reach the cluster only in the stack's Secret, marked secret; never in values or other inputs", () => {
    const secret = run.named("class-hub-secret", "kubernetes:core/v1:Secret").inputs;
    assert.equal(secret.metadata.name, HUB_SECRET.name);
    const data = secret.stringData;
    assert.ok(isSecretInput(data) || (isSecretInput(data[HUB_SECRET.oauthClientSecretKey]) && isSecretInput(data[HUB_SECRET.cookieSecretKey])));
    assert.equal(unwrap(unwrap(data)[HUB_SECRET.oauthClientSecretKey]), PLANTED);
    assert.equal(unwrap(unwrap(data)[HUB_SECRET.cookieSecretKey]), run.world.cookieSecret);
    for (const resource of run.registered) {
        const text = plainText(resource.inputs);
        assert.ok(!text.includes(PLANTED) && !text.includes(run.world.cookieSecret) && !text.includes("planted-cluster-token"), resource.name);
    }
    const values = run.named("class-release", "kubernetes:helm.sh/v3:Release").inputs.values;
    assert.deepEqual(values.hub.extraEnv.OAUTH_CLIENT_SECRET, { valueFrom: { secretKeyRef: { name: "classroom-hub", key: "oauth-client-secret" } } });
    assert.equal(values.hub.existingSecret, "classroom-hub");
});

test("the class hostname points at the proxy's load balancer, IPv4 only", async () => {
    const records = run.ofType("cloudflare:index/dnsRecord:DnsRecord");
    assert.equal(records.length, 1);
    assert.deepEqual({ type: records[0].inputs.type, name: records[0].inputs.name, content: records[0].inputs.content },
        { type: "A", name: "engr101.example.edu", content: run.world.loadBalancerIp });
    const program = run.program as ReturnType<typeof kubernetesStack>;
    assert.equal(await valueOf(program.loadBalancerIp), run.world.loadBalancerIp);
    assert.equal(program.hubUrl, "https://engr101.example.edu/");
});

test("roster, limits and login page change the release's values only, never the cluster", async () => {
    const changed = await runProgram({
        ...engr101,
        allowedUsers: '["ada","grace"]',
        memoryLimit: "3G",
        cpuLimit: "2",
        loginTitle: "ENGR 101, spring",
        loginAnnouncement: "Lab 3 is due Friday.",
        idleTimeoutSeconds: "600",
    }, ["oauthClientSecret"]);
    assert.equal(changed.error, undefined);
    const inputs = (r: typeof run, name: string, type: string) => r.named(name, type).inputs;
    const cluster = "digitalocean:index/kubernetesCluster:KubernetesCluster";
    assert.deepEqual(inputs(changed, "class-cluster", cluster), inputs(run, "class-cluster", cluster));
    const pool = "digitalocean:index/kubernetesNodePool:KubernetesNodePool";
    // A pool's name and size are what DigitalOcean cannot change in place; the bounds it can.
    for (const field of ["name", "size", "clusterId"]) {
        assert.equal(inputs(changed, "class-users", pool)[field], inputs(run, "class-users", pool)[field]);
    }
    const release = "kubernetes:helm.sh/v3:Release";
    const [before, after] = [inputs(run, "class-release", release), inputs(changed, "class-release", release)];
    assert.deepEqual({ ...after, values: undefined }, { ...before, values: undefined });
    assert.notDeepEqual(after.values, before.values);
    assert.equal(after.values.singleuser.memory.limit, "3G");
    assert.match(after.values.hub.extraFiles["class.json"].stringData, /Lab 3 is due Friday/);
});

test("the rendered values fit the chart's schema for each login provider", () => {
    const providers: Record<string, Record<string, string>> = {
        github: {},
        google: { authProvider: "google", allowedUsers: '["ada@example.edu"]', adminUsers: '["prof@example.edu"]', googleHostedDomains: '["example.edu"]' },
        oidc: {
            authProvider: "oidc", allowedUsers: '["ada@example.edu"]', adminUsers: '["prof@example.edu"]', oidcAuthorizeUrl: "https://login.example.edu/authorize",
            oidcTokenUrl: "https://login.example.edu/token", oidcUserdataUrl: "https://login.example.edu/userinfo",
        },
    };
    for (const [name, extra] of Object.entries(providers)) {
        const result = chartValuesSchema.safeParse(chartValues(parse({ ...engr101, ...extra })));
        assert.ok(result.success, `${name}: ${result.success ? "" : result.error.message}`);
    }
    const noCourse = { ...engr101 };
    delete (noCourse as Record<string, string>).courseRepoUrl;
    const values = chartValues(parse(noCourse));
    assert.ok(chartValuesSchema.safeParse(values).success);
    assert.equal("initContainers" in values.singleuser, false);
});

test("an unknown or mistyped value fails the schema", () => {
    const good = () => JSON.parse(JSON.stringify(chartValues(parse(engr101))));
    const breaks: [string, (v: any) => void][] = [
        ["unknown top-level key", (v) => { v.singleusr = {}; }],
        ["unknown hub key", (v) => { v.hub.concurentSpawnLimit = 3; }],
        ["misplaced key", (v) => { v.singleuser.cull = { enabled: true }; }],
        ["string for an integer", (v) => { v.hub.concurrentSpawnLimit = "20"; }],
        ["string for cpu", (v) => { v.singleuser.cpu.limit = "1"; }],
        ["bad memory size", (v) => { v.singleuser.memory.limit = "2 gigabytes"; }],
        ["unknown https type", (v) => { v.proxy.https.type = "acme"; }],
        ["unknown storage type", (v) => { v.singleuser.storage.type = "block"; }],
        ["replicas as float", (v) => { v.scheduling.userPlaceholder.replicas = 1.5; }],
        ["extra file without mountPath", (v) => { delete v.hub.extraFiles["class.json"].mountPath; }],
        ["extra file with an unknown field", (v) => { v.hub.extraFiles["class.json"].path = "/x"; }],
        ["init container with an unknown field", (v) => { v.singleuser.initContainers[0].workdir = "/"; }],
        ["secret value in extraEnv", (v) => { v.hub.extraEnv.OAUTH_CLIENT_SECRET = { value: PLANTED }; }],
        // The proxy token stays the chart's, made in the cluster (docs/kubernetes.md, Secrets): never a value.
        ["proxy token as a value", (v) => { v.proxy.secretToken = "planted-proxy-token"; }],
        ["proxy token in hub.config", (v) => { v.hub.config = { ConfigurableHTTPProxy: { auth_token: "planted-proxy-token" } }; }],
    ];
    assert.ok(chartValuesSchema.safeParse(good()).success);
    for (const [what, mutate] of breaks) {
        const values = good();
        mutate(values);
        assert.equal(chartValuesSchema.safeParse(values).success, false, what);
    }
});

test("sizing defaults follow the roster, memoryLimit and node size; explicit keys win", () => {
    const small = parse({ ...engr101, allowedUsers: '["ada","grace","alan"]', adminUsers: "[]" }).kubernetes!;
    assert.deepEqual(small.userPool, { size: "s-4vcpu-8gb", minNodes: 1, maxNodes: 1, studentsPerNode: 6 });
    assert.equal(small.userPlaceholders, 1);
    assert.equal(small.memoryGuarantee, "1024M");
    assert.equal(small.cpuGuarantee, 0.25);
    assert.equal(small.singleuserImage, DEFAULT_SINGLEUSER_IMAGE);
    const big = parse({ ...engr101, kubernetesNodeSize: "s-8vcpu-16gb", memoryLimit: "4G", memoryGuarantee: "1G", userPlaceholders: "50" }).kubernetes!;
    // 16 GiB × ¾ / 1 GiB = 12 by memory; 8 × ¾ / 0.25 = 24 by CPU → 12 a node.
    assert.deepEqual(big.userPool, { size: "s-8vcpu-16gb", minNodes: 5, maxNodes: 17, studentsPerNode: 12 });
    const fixed = parse({ ...engr101, kubernetesMinNodes: "2", kubernetesMaxNodes: "8", userPlaceholders: "0" }).kubernetes!;
    assert.deepEqual([fixed.userPool.minNodes, fixed.userPool.maxNodes, fixed.userPlaceholders], [2, 8, 0]);
    assert.equal(parse({ dnsZone: "example.edu", subdomain: "a", letsEncryptEmail: "a@example.edu", authProvider: "github", oauthClientId: "x", oauthClientSecret: "y", allowedUsers: '["ada"]' }).kubernetes, undefined);
});

test("config errors for the kubernetes keys name the key and the fix, before any resource", () => {
    const cases: [Record<string, string>, RegExp][] = [
        [{ kubernetesVersion: "" }, /^kubernetesVersion: got nothing; is required when platform is kubernetes .*Fix: pulumi config set kubernetesVersion 1\.34\.1-do\.0$/],
        [{ kubernetesVersion: "1.34" }, /^kubernetesVersion: got "1\.34"; expected a DigitalOcean Kubernetes version slug .*Fix: pulumi config set kubernetesVersion/],
        [{ platform: "k8s" }, /^platform: got "k8s"; expected droplet or kubernetes\. Fix: pulumi config set platform kubernetes$/],
        [{ coursePackages: '["pandas==2.2.3"]' }, /^coursePackages: .*come with singleuserImage.*Fix: pulumi config set/],
        [{ courseRepoToken: "tok" }, /^courseRepoToken: got a secret value; expected none when platform is kubernetes/],
        [{ memoryGuarantee: "3G" }, /^memoryGuarantee: got "3G"; expected at most memoryLimit \(2G\)\. Fix: pulumi config set memoryGuarantee 1G$/],
        [{ cpuGuarantee: "2" }, /^cpuGuarantee: got "2"; expected at most cpuLimit \(1\)\. Fix: pulumi config set cpuGuarantee 0\.25$/],
        [{ memoryLimit: "7G" }, /^kubernetesNodeSize: got nothing; expected a node size larger than s-4vcpu-8gb, with room for one student's memoryLimit 7G.*Fix: pulumi config set kubernetesNodeSize s-8vcpu-16gb$/],
        [{ kubernetesNodeSize: "c-4" }, /^kubernetesNodeSize: got "c-4"; expected a DigitalOcean size slug that names its memory/],
        [{ kubernetesMinNodes: "5", kubernetesMaxNodes: "3" }, /^kubernetesMinNodes: got "5"; expected at most kubernetesMaxNodes \(3\)\. Fix: pulumi config set kubernetesMinNodes 2$/],
        [{ kubernetesMaxNodes: "2" }, /^kubernetesMaxNodes: got "2"; expected at least 4 nodes to hold the user placeholders/],
        [{ singleuserImage: "quay.io/jupyter/scipy-notebook:latest" }, /^singleuserImage: got "quay\.io\/jupyter\/scipy-notebook:latest"; expected an image pinned by digest/],
        [{ courseRepoUrl: "https://git.example.edu/{course}.git" }, /^courseRepoUrl: got .*; expected no \{ or \} when platform is kubernetes/],
        [{ perStudentOrigins: "true" }, /^perStudentOrigins: got "true"; expected false when platform is kubernetes: only the Droplet serves students' own origins so far\. Fix: pulumi config rm perStudentOrigins$/],
        [{ sharedData: "true" }, /^sharedData: got "true"; expected none when platform is kubernetes: only the Droplet has it so far .*Fix: pulumi config rm sharedData$/],
        [{ diskQuotaGb: "5" }, /^diskQuotaGb: got "5"; expected none when platform is kubernetes: only the Droplet has it so far .*Fix: pulumi config rm diskQuotaGb$/],
        [{ paused: "true" }, /^paused: got "true"; expected false when platform is kubernetes: only the Droplet can be paused so far\. Fix: pulumi config rm paused$/],
        [{ studentStorageGb: "0" }, /^studentStorageGb: got "0"; expected at least 1 GiB\. Fix: pulumi config set studentStorageGb 5$/],
    ];
    for (const [change, expected] of cases) {
        const raw = { ...engr101, ...change };
        for (const [k, v] of Object.entries(raw)) if (v === "") delete raw[k];
        const problems = problemsOf(raw);
        assert.ok(problems.some((p) => expected.test(p)), `${JSON.stringify(change)} → ${JSON.stringify(problems)}`);
    }
    assert.deepEqual(problemsOf(engr101), []);
});

test("a bad kubernetes config stops the program before any resource is registered", async () => {
    const bad = await runProgram({ ...engr101, memoryGuarantee: "3G" }, ["oauthClientSecret"]);
    assert.match(String(bad.error), /memoryGuarantee: got "3G"; expected at most memoryLimit/);
    assert.deepEqual(bad.registered, []);
});

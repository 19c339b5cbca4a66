import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { APPLY_CLASS_SETTINGS, archiveCommand, healthCheckCommand, SYNC_COMMAND } from "../lib/server";
import { ClassConfig, LETS_ENCRYPT, parseClassConfig } from "../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../lib/config/stack";
import { ClassSecrets } from "../lib/bundle";
import { knownHostsLine, parsePublicKey } from "../lib/hostKey";
import { Dns01World } from "../test/support/dns01World";
import { startAcmeDns01 } from "./acmeDns01";
import { CourseRepo, startCourseRepo } from "./git-server";
import { Guest } from "./guest";
import { OidcProvider, startOidcProvider, TestUser } from "./oidc-provider";
import { Pebble, startPebble } from "./pebble";
import { check, run, RunResult, startDaemon, waitFor } from "./process";
import { HostVolume } from "./volume";

const HERE = __dirname;
const PROJECT = resolve(HERE, "..");
const NS = "jupyterhub-classroom";

/**
 * How long each phase took, printed at the end; `progress` hears of each phase as it starts, and
 * no phase starts once `stopped` says so.
 */
export class Timings {
    private readonly entries: [string, number][] = [];
    constructor(private readonly progress: (line: string) => void = () => undefined, private readonly stopped: () => boolean = () => false) {}
    record(what: string, ms: number): void { this.entries.push([what, ms]); }
    async time<T>(what: string, work: () => Promise<T>): Promise<T> {
        if (this.stopped()) throw new Error(`stopped before: ${what}`);
        this.progress(what);
        const start = Date.now();
        try { return await work(); } finally { this.record(what, Date.now() - start); }
    }
    report(): string {
        return this.entries.map(([what, ms]) => `  ${what.padEnd(66)} ${(ms / 1000).toFixed(1).padStart(7)} s`).join("\n");
    }
}

interface Network {
    readonly netns: string;
    readonly hostInterface: string;
    readonly hostAddress: string;
    readonly guestAddress: string;
    readonly metadataNetns: string;
    readonly metadataAddress: string;
    readonly nftTable: string;
}

/** One line of testssl.sh's flat JSON. */
export interface TestsslFinding {
    readonly id: string;
    readonly severity: string;
    readonly finding: string;
}

/** One entry under /srv/classroom/home (homesManifest.py); `user` and `group` are null where no account has the id. */
export interface HomeEntry {
    readonly path: string;
    readonly kind: "dir" | "file" | "link" | "other";
    readonly uid: number;
    readonly gid: number;
    readonly user: string | null;
    readonly group: string | null;
    readonly mode: string;
    readonly mtime: number;
    readonly size?: number;
    readonly sha256?: string;
    readonly target?: string;
}

/** Which class to boot, and what to put around it. */
export interface ClassServerOptions {
    /** The stack's name, as `pulumi destroy` passes it to the archive (archives/<stack>-<time>.tar.gz). */
    readonly stack: string;
    /** The stack settings file (Pulumi.<stack>.yaml) to render. */
    readonly stackFile: string;
    /** Edits the stack's config before the first render. Default: none. */
    readonly change?: (config: Record<string, unknown>) => void;
    /** The OIDC provider's accounts. */
    readonly users: readonly TestUser[];
    /**
     * The course repository served at courseRepoUrl on this host (path → content, one commit).
     * Default: none is served, and courseRepoUrl is used as the stack gives it.
     */
    readonly courseFiles?: Readonly<Record<string, string>>;
    /** Where logs and screenshots go. */
    readonly resultsDir: string;
    /**
     * The students' volume's backing file, kept after the run (created blank when missing).
     * Default: a blank volume that goes at the end, as in a test.
     */
    readonly keptVolume?: string;
    /** Hears one line per step while the server boots. Default: silence. */
    readonly progress?: (line: string) => void;
    /** Programs the caller needs on this host besides the boot's own (the test's browser). Default: none. */
    readonly extraHostTools?: readonly string[];
    /** Whether SIGINT and SIGTERM tear everything down and exit 1 (the caller handles them otherwise). Default: true. */
    readonly stopOnSignals?: boolean;
}

/** Everything around the booted class server, and how to reach and inspect it. */
export class ClassServer {
    readonly timings: Timings;
    readonly hostname: string;
    readonly hubUrl: string;
    readonly adminUser: string;
    /** Whether each student's server has its own origin, https://<name>.<hostname>/ (perStudentOrigins). */
    readonly perStudentOrigins: boolean;
    readonly resultsDir: string;
    /** Keys, rendered files and secrets: private, removed at the end. */
    private readonly secretDir: string;
    private readonly stack: { config: Record<string, unknown> };
    /** The stack file rendered: the test's, with the constructor's change applied. */
    private readonly stackFile: string;
    /** The class as the stack reads it from the stack file. */
    private readonly classConfig: ClassConfig;
    network!: Network;
    guest!: Guest;
    pebble!: Pebble;
    oidc!: OidcProvider;
    course!: CourseRepo;
    /** With perStudentOrigins: Cloudflare's API and the zone's DNS, for DNS-01 (acmeDns01.ts). */
    dns01?: Dns01World;
    /**
     * With perStudentOrigins: the Cloudflare token the render puts in the apply bundle, as
     * HubAcmeToken's; to the real engine, the account's own token (CLOUDFLARE_API_TOKEN).
     */
    readonly cloudflareToken = randomBytes(30).toString("base64url");
    /** Pebble's issuing root (PEM), known once pebble runs. */
    issuingRoot!: string;
    /** The students' volume the first server boots with, and its replacement after it. */
    volume!: HostVolume;
    /** The volume the server booted last has attached (a replacement may have another). */
    private attached!: HostVolume;
    get attachedVolume(): HostVolume { return this.attached; }
    private golden = "";
    /** What every boot adds to the guest: trust in the local ACME CA's API (see boot()). */
    private acmeTrustBinds: Record<string, string> = {};
    private boots = 0;
    /** The class settings the server has: the first render's, then each one delivered since. */
    private currentBundle = "";
    get currentBundleFile(): string { return this.currentBundle; }
    private teardowns: (() => Promise<unknown>)[] = [];
    private oauthClientSecret = "";
    /** Set by stop(): a start() still under way ends at its next phase instead of building more. */
    private stopRequested = false;

    constructor(private readonly options: ClassServerOptions) {
        this.timings = new Timings(options.progress, () => this.stopRequested);
        this.stack = parseYaml(readFileSync(options.stackFile, "utf8"));
        options.change?.(this.stack.config);
        this.secretDir = mkdtempSync(join(tmpdir(), "jhc-e2e-"));
        chmodSync(this.secretDir, 0o700);
        this.stackFile = join(this.secretDir, basename(options.stackFile));
        this.resultsDir = options.resultsDir;
        mkdirSync(this.resultsDir, { recursive: true, mode: 0o700 });
        writeFileSync(this.stackFile, stringifyYaml(this.stack), { mode: 0o600 });
        this.classConfig = parseClassConfig(rawClassConfigFromStackFile(readFileSync(this.stackFile, "utf8")));
        this.hostname = this.classConfig.hostname;
        this.hubUrl = `https://${this.hostname}`;
        this.adminUser = this.classConfig.admin.user;
        this.perStudentOrigins = this.classConfig.perStudentOrigins;
    }

    /** The stack's config as this server is built from it: the stack file's, with the constructor's change applied. */
    get stackConfig(): Readonly<Record<string, unknown>> { return this.stack.config; }

    /** The class as the stack reads it. */
    get config(): ClassConfig { return this.classConfig; }

    setting(key: string): unknown {
        return this.stack.config[`${NS}:${key}`];
    }

    private get renderDir(): string { return join(this.secretDir, "render"); }
    private get sshKey(): string { return join(this.secretDir, "id_ed25519"); }
    /** The public half of the stack's SSH key, as it is in the admin's authorized_keys. */
    get sshPublicKey(): string { return readFileSync(`${this.sshKey}.pub`, "utf8").trim(); }
    private get knownHosts(): string { return join(this.secretDir, "known_hosts"); }
    /**
     * The host key every boot's user-data installs, as the stack's is one per stack: the first
     * render's, or the one the real engine's stack generated (pinHostKey).
     */
    get hostPublicKey(): string { return this.pinnedHostKey || readFileSync(join(this.renderDir, "ssh_host_ed25519_key.pub"), "utf8").trim(); }
    private pinnedHostKey = "";

    /** The stack's own host key, once `pulumi up` made it: the harness's SSH then pins that one. */
    pinHostKey(hostPublicKey: string): void {
        this.pinnedHostKey = hostPublicKey;
        writeFileSync(this.knownHosts, knownHostsLine(this.network.guestAddress, 22, hostPublicKey), { mode: 0o600 });
    }

    /** The stack's SSH login key (OpenSSH private key): what `pulumi config set --secret sshPrivateKey` gives the real engine. */
    get sshPrivateKey(): string { return readFileSync(this.sshKey, "utf8"); }

    /** The OAuth client secret the local identity provider expects: what the stack's oauthClientSecret must be. */
    get oauthClientSecretValue(): string { return this.oauthClientSecret; }

    /** A directory only root can read, removed with everything else at the end. */
    privateDir(name: string): string {
        const dir = join(this.secretDir, name);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        return dir;
    }

    /** Builds the world around the server, boots it with the rendered user-data and delivers the class settings. */
    async start(): Promise<void> {
        await this.startWorld();
        await this.deploy(this.volume);
    }

    /**
     * Everything around the server but the server: its network, the ACME CA, the identity provider,
     * the course repository and the students' volume. The real engine's `pulumi up` then boots the
     * server through the DigitalOcean stand-in (bootDroplet) and configures it over SSH itself.
     */
    async startWorld(): Promise<void> {
        if (this.options.stopOnSignals ?? true) {
            // Killed or interrupted, the run still removes its guest, servers and network.
            process.once("SIGINT", this.stopOnSignal);
            process.once("SIGTERM", this.stopOnSignal);
        }
        await requireHostTools(this.options.extraHostTools ?? []);
        await check("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "e2e-stack-key", "-f", this.sshKey]);
        this.oauthClientSecret = randomBytes(24).toString("hex");
        await this.timings.time("render (npm run render)", () => this.render(this.renderDir, this.stackFile, {}));
        this.golden = await this.timings.time("golden root (build or reuse)", () => this.goldenRoot());

        this.network = await this.timings.time("network (network.sh up)", async () => parseKeyValues(await check(join(HERE, "network.sh"), ["up"])));
        this.teardowns.push(() => check(join(HERE, "network.sh"), ["down"]));
        this.checkStackAddresses();

        const logs = join(this.resultsDir, "host");
        mkdirSync(logs);
        const acme = join(this.secretDir, "acme");
        mkdirSync(acme, { mode: 0o700 });
        this.pebble = await this.timings.time("local ACME CA (pebble)", () => startPebble(acme, logs, this.network.hostAddress, { [this.hostname]: this.network.guestAddress }));
        this.teardowns.push(() => this.pebble.stop());
        this.issuingRoot = await this.pebble.issuingRoot();
        if (this.perStudentOrigins) {
            this.dns01 = await this.timings.time("DNS-01 stand-ins (Cloudflare's API, the zone's resolvers)", () => startAcmeDns01({
                hostAddress: this.network.hostAddress, hostInterface: this.network.hostInterface, nftTable: this.network.nftTable,
                zone: this.classConfig.dnsZone, challtestsrvUrl: this.pebble.challtestsrvUrl, token: this.cloudflareToken,
            }));
            this.teardowns.push(() => this.dns01!.close());
        }
        const authorize = new URL(String(this.setting("oidcAuthorizeUrl")));
        this.oidc = await startOidcProvider({
            host: authorize.hostname, port: Number(authorize.port),
            clientId: String(this.setting("oauthClientId")), clientSecret: this.oauthClientSecret,
            redirectUri: `${this.hubUrl}/hub/oauth_callback`, users: this.options.users,
        });
        this.teardowns.push(() => this.oidc.close());
        if (this.options.courseFiles) {
            const courseUrl = new URL(String(this.setting("courseRepoUrl")));
            this.course = await startCourseRepo(join(this.secretDir, "course"), courseUrl.hostname, Number(courseUrl.port), String(this.setting("courseRepoBranch")));
            this.teardowns.push(() => this.course.close());
            await this.course.publish(this.options.courseFiles, "Lab 1");
        }

        this.acmeTrustBinds = this.acmeTrust();
        this.currentBundle = join(this.renderDir, "apply-bundle.json");
        await HostVolume.removeStale(this.options.keptVolume);
        this.volume = this.options.keptVolume ? await this.keptVolume(this.options.keptVolume) : await this.newVolume("homes");
    }

    /** A blank volume, as DigitalOcean creates it; removed at the end. */
    async newVolume(name: string): Promise<HostVolume> {
        const volume = await HostVolume.create(this.secretDir, name);
        this.teardowns.push(() => volume.remove());
        return volume;
    }

    /** The volume kept at `file` (blank when new): detached at the end, never removed. */
    private async keptVolume(file: string): Promise<HostVolume> {
        const volume = await HostVolume.attach(file, "homes");
        this.teardowns.push(() => volume.detach());
        return volume;
    }

    /**
     * What `pulumi up` does for a new Droplet: boot it from the rendered user-data with the volume
     * attached, then HubSync, HubSettings and HubHealth over SSH, with the components' own commands.
     */
    private async deploy(volume: HostVolume, label = ""): Promise<void> {
        const of = label ? ` (${label})` : "";
        this.attached = volume;
        // What the stack's connection pins: the host key the user-data installs, known before
        // the server boots; a replacement shows the same key (one per stack, not per Droplet).
        writeFileSync(this.knownHosts, knownHostsLine(this.network.guestAddress, 22, this.hostPublicKey), { mode: 0o600 });
        await this.bootGuest(volume, readFileSync(join(this.renderDir, "user-data"), "utf8"), of);
        await this.waitForCloudInit(of);
        await this.timings.time(`HubSync over SSH (classroom-sync)${of}`, () => this.syncServerFiles());
        await this.timings.time(`HubSettings over SSH (classroom-apply)${of}`, () => this.deliverBundle(this.currentBundle));
        await this.timings.time(`HubHealth over SSH (classroom-health)${of}`, async () => {
            const result = await this.healthCheck();
            if (result.code !== 0) throw new Error(`HubHealth's check exited ${result.code}:\n${result.stderr}${result.stdout}`);
        });
    }

    /**
     * What a replacement of the Droplet does: the old server goes (a clean poweroff, as DigitalOcean
     * shuts a Droplet down before it deletes it), a new one boots with `volume` attached.
     */
    async replace(volume: HostVolume, label: string): Promise<void> {
        await this.timings.time(`shut down the server (${label})`, () => this.guest.shutdown());
        await this.deploy(volume, label);
    }

    /**
     * What `paused: true` does: HubArchive's archive to `outDir` (returned), then the Droplet goes
     * (a clean poweroff, as DigitalOcean shuts a Droplet down before it deletes it). The volume stays.
     */
    async pause(outDir: string): Promise<string> {
        const archive = await this.timings.time("archive before the pause (npm run archive)", () => this.archive(outDir));
        await this.timings.time("shut down the server (pause)", () => this.guest.shutdown());
        return archive;
    }

    /** What `paused: false` does: a new server on the volume the last one had, configured as a new Droplet is. */
    async resume(): Promise<void> {
        await this.deploy(this.attached, "resume");
    }

    /**
     * What HubSync does after the first boot: the complete set of server files (the day-2 tools the
     * first boot's user-data leaves out included) on stdin of classroom-sync, once cloud-init is done.
     */
    private async syncServerFiles(): Promise<void> {
        const result = await this.ssh(this.adminUser, [SYNC_COMMAND], readFileSync(join(this.renderDir, "sync-document")));
        if (result.code !== 0) throw new Error(`HubSync's command exited ${result.code}:\n${result.stderr}${result.stdout}`);
    }

    /** What HubHealth runs: classroom-health on the server, waiting up to `minutes` for https://<hostname>/hub/health. */
    healthCheck(minutes = this.classConfig.operations.healthCheckTimeoutMinutes): Promise<RunResult> {
        const staging = this.classConfig.tls.acmeDirectoryUrl !== LETS_ENCRYPT;
        return this.ssh(this.adminUser, [healthCheckCommand(minutes, staging)], undefined, (minutes + 1) * 60_000);
    }

    /**
     * What HubArchive's delete runs on this machine before the Droplet goes (`npm run archive`), with
     * the stack's key in the environment; only --out is added, to keep the archive in `outDir`.
     * Returns the archive's path, the last line the command prints.
     */
    async archive(outDir: string): Promise<string> {
        const command = `${archiveCommand(this.network.guestAddress, this.adminUser, this.options.stack)} --out ${outDir}`;
        const result = await run("sh", ["-c", command], {
            cwd: PROJECT, timeoutMs: 10 * 60_000,
            env: { ...process.env, CLASSROOM_SSH_PRIVATE_KEY: readFileSync(this.sshKey, "utf8"), CLASSROOM_SSH_HOST_KEY: this.hostPublicKey },
        });
        if (result.code !== 0) throw new Error(`${command} exited ${result.code}:\n${result.stderr}${result.stdout}`);
        return result.stdout.trim().split("\n").pop()!;
    }

    /** scp of a file or a folder into the admin's home, over the stack's SSH connection (docs/operations.md). */
    async copyToAdminHome(path: string): Promise<void> {
        const copy = await run("scp", ["-q", "-r", ...this.sshOptions(), path, `${this.adminUser}@${this.network.guestAddress}:`]);
        if (copy.code !== 0) throw new Error(`scp ${path} exited ${copy.code}: ${copy.stderr}`);
    }

    /** docs/operations.md's restore: scp the archive to the admin's home, then `sudo classroom-restore` it. */
    async restore(archive: string): Promise<RunResult> {
        await this.copyToAdminHome(archive);
        const name = basename(archive);
        return this.ssh(this.adminUser, [`sudo classroom-restore ${name} && rm ${name}`], undefined, 10 * 60_000);
    }

    /** Every entry under the students' homes (or under `root`), as seen on the server (homesManifest.py). */
    async homesManifest(root = "/srv/classroom/home"): Promise<HomeEntry[]> {
        return JSON.parse(await this.guest.check(["python3", "-c", readFileSync(join(HERE, "homesManifest.py"), "utf8"), root])) as HomeEntry[];
    }

    /** The secrets the server got, as rendered. */
    renderedSecrets(): ClassSecrets {
        return JSON.parse(readFileSync(join(this.renderDir, "secrets.json"), "utf8"));
    }

    /** `npm run render` of a stack file; `env` can pin secrets so a re-render changes only the settings. */
    async render(outDir: string, stackFile: string, env: Record<string, string>): Promise<void> {
        await check("npm", ["run", "--silent", "render", "--", "--config", stackFile, "--out", outDir, "--ssh-public-key", `${this.sshKey}.pub`], {
            cwd: PROJECT,
            env: {
                ...process.env, CLASSROOM_OAUTH_CLIENT_SECRET: this.oauthClientSecret,
                ...(this.perStudentOrigins ? { CLASSROOM_CLOUDFLARE_DNS_TOKEN: this.cloudflareToken } : {}), ...env,
            },
        });
    }

    /** Renders the stack again with `change` applied to its config, keeping the first render's generated secrets. */
    async renderChanged(name: string, change: (config: Record<string, unknown>) => void): Promise<string> {
        const stack = structuredClone(this.stack);
        change(stack.config);
        const stackFile = join(this.secretDir, `Pulumi.${name}.yaml`);
        writeFileSync(stackFile, stringifyYaml(stack), { mode: 0o600 });
        const secrets = this.renderedSecrets();
        const outDir = join(this.secretDir, `render-${name}`);
        await this.render(outDir, stackFile, {
            CLASSROOM_COOKIE_SECRET: secrets.cookieSecret,
            CLASSROOM_TRAEFIK_API_PASSWORD: secrets.traefikApiPassword,
        });
        return join(outDir, "apply-bundle.json");
    }

    private async goldenRoot(): Promise<string> {
        const out = await check(join(HERE, "golden-root.sh"), userDataPackages(readFileSync(join(this.renderDir, "user-data"), "utf8")), { timeoutMs: 20 * 60_000 });
        return out.trim().split("\n").pop()!;
    }

    /** The stack file's URLs must point at the test host's end of network.sh's network. */
    private checkStackAddresses(): void {
        const served = ["acmeDirectoryUrl", "oidcAuthorizeUrl", "oidcTokenUrl", "oidcUserdataUrl", ...(this.options.courseFiles ? ["courseRepoUrl"] : [])];
        for (const key of served) {
            const host = new URL(String(this.setting(key))).hostname;
            if (host !== this.network.hostAddress) {
                throw new Error(`${this.options.stackFile}: ${key} points at ${host}, but the test's servers listen on ${this.network.hostAddress} (network.sh)`);
            }
        }
    }

    /**
     * The one thing the test adds to the server: trust in the local ACME CA's API, where
     * traefik.service reads it (a real Droplet trusts Let's Encrypt's API out of the box), and with
     * perStudentOrigins where Cloudflare's API is (lego's CLOUDFLARE_BASE_URL: the stand-in).
     */
    private acmeTrust(): Record<string, string> {
        const trust = join(this.secretDir, "acme-trust");
        mkdirSync(trust, { mode: 0o755 });
        writeFileSync(join(trust, "acme-api-ca.pem"), readFileSync(this.pebble.apiCaFile), { mode: 0o644 });
        const traefikEnv = join(this.secretDir, "traefik.env");
        const cloudflare = this.dns01 ? `CLOUDFLARE_BASE_URL=${this.dns01.cloudflare.baseUrl}\n` : "";
        writeFileSync(traefikEnv, `LEGO_CA_CERTIFICATES=/usr/local/share/jhc-e2e/acme-api-ca.pem\n${cloudflare}`, { mode: 0o644 });
        return { [trust]: "/usr/local/share/jhc-e2e", [traefikEnv]: "/etc/jupyterhub-classroom/traefik.env" };
    }

    /**
     * What the DigitalOcean stand-in does for the real engine's new Droplet: boots a server from
     * `userData` with the students' volume attached and returns once it runs (a Droplet is "active"
     * before cloud-init is done; the stack's HubSync waits for cloud-init itself).
     */
    async bootDroplet(userData: string): Promise<void> {
        this.attached = this.volume;
        await this.bootGuest(this.volume, userData, this.boots ? ` (Droplet ${this.boots + 1})` : "");
    }

    /** What the DigitalOcean stand-in does when the real engine deletes the Droplet: a clean poweroff. */
    async shutdownDroplet(): Promise<void> {
        await this.timings.time("shut down the server (Droplet deleted)", () => this.guest.shutdown());
    }

    /** Boots a new instance (its own instance-id, so cloud-init runs as on a new Droplet) from `userData`, with the volume attached. */
    private async bootGuest(volume: HostVolume, userData: string, of: string): Promise<void> {
        this.boots += 1;
        const seed = join(this.secretDir, `seed-${this.boots}`);
        mkdirSync(seed, { mode: 0o700 });
        writeFileSync(join(seed, "meta-data"), `instance-id: jhc-e2e-${randomBytes(4).toString("hex")}\nlocal-hostname: ${this.hostname.split(".")[0]}\n`, { mode: 0o600 });
        writeFileSync(join(seed, "user-data"), userData, { mode: 0o600 });

        const booted = Date.now();
        this.options.progress?.(`boot the server${of} (systemd-nspawn), then cloud-init runs the user-data`);
        this.guest = await Guest.boot({
            golden: this.golden, seedDir: seed, netns: this.network.netns,
            consoleLog: join(this.resultsDir, `console-${this.boots}.log`),
            readOnlyBinds: this.acmeTrustBinds, devices: volume.guestBinds(),
        });
        const guest = this.guest;
        this.teardowns.push(() => guest.shutdown());
        this.bootedAt = booted;
    }

    /** Waits for cloud-init to finish on the booted server, saying its stages as they come. */
    private async waitForCloudInit(of: string): Promise<void> {
        const said = new Set<string>();
        const say = (line: string) => { if (!said.has(line)) { said.add(line); this.options.progress?.(line); } };
        const status = await waitFor("cloud-init to finish", 20 * 60_000, async () => {
            if (this.stopRequested) return { status: "stopped" };
            const result = await this.guest.exec(["cloud-init", "status", "--format=json"]);
            const state = JSON.parse(result.stdout || "{}") as { status?: string; detail?: string; extended_status?: string; errors?: string[] };
            if (this.options.progress) {
                const stage = /^Running in stage: (\S+)/.exec(state.detail ?? "")?.[1];
                if (stage) say(`  cloud-init: ${stage}`);
                for (const line of await this.installSteps()) say(`  ${line}`);
            }
            return state.status === "done" || state.status === "error" ? state : undefined;
        }, 2000);
        this.timings.record(`boot → cloud-init done${of}`, Date.now() - this.bootedAt);
        this.cloudInitStatus = status;
        // Nothing after this can work on a server whose install failed: say so instead of failing later.
        if (status.status !== "done") throw new Error(`cloud-init ended ${status.status}: ${(status.errors ?? []).join("; ")}`);
        const install = await this.unitDurationMs("cloud-final.service");
        if (install !== undefined) this.timings.record(`  of which cloud-final (the install)${of}`, install);
    }

    /** The install's step lines so far (install.sh's `step`), from cloud-init's output log. */
    private async installSteps(): Promise<string[]> {
        const result = await this.guest.exec(["grep", "-h", "^jupyterhub-classroom install", "/var/log/cloud-init-output.log"]);
        return result.stdout.split("\n").filter(Boolean);
    }

    bootedAt = 0;
    /** When a student's server was last started: the server fetches the course at most once a minute. */
    lastSpawnAt = 0;
    /** The served certificate's public key, for the browser to trust (set by step 2). */
    certificateSpki = "";
    cloudInitStatus: { status?: string; extended_status?: string; errors?: string[] } = {};

    /** How long a oneshot unit ran, from systemd's timestamps. */
    async unitDurationMs(unit: string): Promise<number | undefined> {
        const out = await this.guest.check(["systemctl", "show", unit, "-p", "ExecMainStartTimestampMonotonic", "-p", "ExecMainExitTimestampMonotonic"]);
        const values = parseKeyValues(out);
        const start = Number(values.ExecMainStartTimestampMonotonic);
        const end = Number(values.ExecMainExitTimestampMonotonic);
        return start > 0 && end > start ? (end - start) / 1000 : undefined;
    }

    /** What HubSettings does: the bundle on stdin of `sudo classroom-apply`, over SSH as the admin user. */
    async deliverBundle(bundleFile: string): Promise<string> {
        const result = await this.ssh(this.adminUser, [APPLY_CLASS_SETTINGS], readFileSync(bundleFile));
        if (result.code !== 0) throw new Error(`classroom-apply over SSH exited ${result.code}:\n${result.stderr}${result.stdout}`);
        this.currentBundle = bundleFile;
        return result.stdout;
    }


    /**
     * As the stack's connection reaches the server: only with the pinned host key (and only its
     * algorithm), never learning one; `knownHosts` is another pin, to show a wrong key is refused.
     */
    private sshOptions(knownHosts = this.knownHosts, hostKey = this.hostPublicKey): string[] {
        return [
            "-i", this.sshKey, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
            "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", `HostKeyAlgorithms=${parsePublicKey(hostKey).type}`, "-o", "UpdateHostKeys=no",
            "-o", "LogLevel=ERROR",
        ];
    }

    ssh(user: string, command: readonly string[], input?: Buffer | string, timeoutMs = 5 * 60_000): Promise<RunResult> {
        return run("ssh", [...this.sshOptions(), `${user}@${this.network.guestAddress}`, "--", ...command], { input, timeoutMs });
    }

    /** ssh as above, but pinned to `hostKey` instead of the stack's: what the stack's steps do when the server shows another key. */
    sshPinnedTo(hostKey: string, user: string, command: readonly string[], input?: Buffer | string): Promise<RunResult> {
        const knownHosts = join(this.privateDir("other-pins"), `known_hosts-${randomBytes(4).toString("hex")}`);
        writeFileSync(knownHosts, knownHostsLine(this.network.guestAddress, 22, hostKey), { mode: 0o600 });
        return run("ssh", [...this.sshOptions(knownHosts, hostKey), `${user}@${this.network.guestAddress}`, "--", ...command], { input, timeoutMs: 60_000 });
    }

    /** An SSH session as the admin that asks sshd to forward a TCP connection (`ssh -W`) to `destination`. */
    sshTcpForward(destination: string): Promise<RunResult> {
        return run("ssh", [...this.sshOptions(), "-W", destination, `${this.adminUser}@${this.network.guestAddress}`], { timeoutMs: 60_000 });
    }

    /**
     * testssl.sh (Debian's package) against the server's port 443, with the class hostname as SNI
     * and pebble's root trusted: protocols, cipher categories, the server's cipher order, its
     * defaults (certificate), HTTP headers of `path` and the known vulnerabilities. Returns its
     * findings (the flat JSON, also kept in the results directory).
     */
    async testssl(path: string): Promise<TestsslFinding[]> {
        const ca = join(this.privateDir("testssl"), "pebble-root.pem");
        writeFileSync(ca, this.issuingRoot, { mode: 0o600 });
        const json = join(this.resultsDir, "testssl.json");
        const result = await run("testssl", [
            "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
            "--connect-timeout", "10", "--openssl-timeout", "10",
            "--ip", this.network.guestAddress, "--add-ca", ca, "--jsonfile", json,
            "--protocols", "--std", "--server-preference", "--server-defaults", "--headers", "--vulnerable",
            `${this.hubUrl}${path}`,
        ], { timeoutMs: 8 * 60_000 });
        writeFileSync(join(this.resultsDir, "testssl.txt"), result.stdout + result.stderr);
        if (result.code !== 0) throw new Error(`testssl exited ${result.code}:\n${result.stderr}${result.stdout.slice(-2000)}`);
        return JSON.parse(readFileSync(json, "utf8")) as TestsslFinding[];
    }

    /**
     * A stand-in for DigitalOcean's metadata service on 169.254.169.254, on the guest's link-local
     * network (network.sh): it serves a canary where the real one serves the Droplet's user-data.
     */
    async startMetadataStandIn(): Promise<void> {
        const root = join(this.secretDir, "metadata");
        mkdirSync(join(root, "metadata/v1"), { recursive: true });
        writeFileSync(join(root, "metadata/v1/user-data"), "stand-in user-data\n");
        const daemon = startDaemon("ip", ["netns", "exec", this.network.metadataNetns, "python3", "-m", "http.server",
            "--bind", this.network.metadataAddress, "--directory", root, "80"], join(this.resultsDir, "host", "metadata.log"));
        this.teardowns.push(() => daemon.stop());
        await waitFor("the stand-in metadata service", 60_000, async () => {
            const probe = await run("ip", ["netns", "exec", this.network.metadataNetns, "curl", "-sf", "--max-time", "2", `http://${this.network.metadataAddress}/metadata/v1/user-data`]);
            return probe.stdout.includes("stand-in") ? true : undefined;
        }, 300);
    }

    /** What to read when something failed: the server's failed units, their journals and cloud-init's output. */
    async diagnostics(units: readonly string[] = []): Promise<string> {
        if (!this.guest) return "(the guest never booted)";
        const parts: string[] = [];
        const section = async (title: string, argv: string[]) => {
            const r = await this.guest.exec(argv).catch((err: Error) => ({ stdout: "", stderr: err.message }));
            parts.push(`----- ${title}\n${r.stdout}${r.stderr}`);
        };
        await section("systemctl --failed", ["systemctl", "--failed", "--no-pager"]);
        const failed = (await this.guest.exec(["systemctl", "--failed", "--plain", "--no-legend", "--no-pager"])).stdout
            .split("\n").map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
        for (const unit of new Set([...failed, ...units])) {
            parts.push(`----- journal of ${unit}\n${await this.guest.journal(unit, 60)}`);
        }
        await section("cloud-init status --long", ["cloud-init", "status", "--long"]);
        await section("tail of /var/log/cloud-init-output.log", ["tail", "-n", "40", "/var/log/cloud-init-output.log"]);
        if (this.oidc) parts.push(`----- OIDC provider events\n${this.oidc.events.join("\n")}`);
        return parts.join("\n");
    }

    private readonly stopOnSignal = (signal: NodeJS.Signals): void => {
        console.error(`${signal}: tearing down the local class server`);
        void this.stop().finally(() => process.exit(1));
    };

    /** Tears down everything built so far; after a stop() during start(), call it again once start() has ended. */
    async stop(): Promise<void> {
        this.stopRequested = true;
        process.off("SIGINT", this.stopOnSignal);
        process.off("SIGTERM", this.stopOnSignal);
        for (const teardown of this.teardowns.reverse()) {
            await teardown().catch((err: Error) => console.error(`teardown: ${err.message}`));
        }
        this.teardowns = [];
        rmSync(this.secretDir, { recursive: true, force: true });
    }
}

async function requireHostTools(extra: readonly string[]): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error("the local server is a container with its own network: run as root");
    const missing: string[] = [];
    for (const tool of ["debootstrap", "systemd-nspawn", "nsenter", "ip", "nft", "pebble", "pebble-challtestsrv", "openssl", "ssh", "scp", "ssh-keygen", "git", "losetup", "blkid", "truncate", "tar", ...extra]) {
        const found = await run("sh", ["-c", `command -v "$1"`, "sh", tool]);
        if (found.code !== 0) missing.push(tool);
    }
    if (missing.length) throw new Error(`missing on this host: ${missing.join(", ")} (see docs/testing.md for the apt packages)`);
}

function parseKeyValues(text: string): Network & Record<string, string> {
    return Object.fromEntries(text.split("\n").filter((l) => l.includes("=")).map((l) => {
        const i = l.indexOf("=");
        return [l.slice(0, i).trim().replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()), l.slice(i + 1).trim()];
    })) as Network & Record<string, string>;
}

/** The OS packages the user-data installs; the golden root has them already, as a cloud image has most. */
export function userDataPackages(userData: string): string[] {
    if (!userData.startsWith("#cloud-config")) return [];
    const doc = parseYaml(userData) as { packages?: unknown[] } | null;
    return (doc?.packages ?? []).filter((p): p is string => typeof p === "string");
}

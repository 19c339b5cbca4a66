/**
 * The class's own Pulumi program under the real Pulumi engine, on this machine: DigitalOcean's and
 * Cloudflare's APIs are local stand-ins (test/engine/standIns/), and the Droplet the engine creates
 * is the local server (ClassServer), booted from the user-data the engine sent. `pulumi up` then runs
 * the stack's own SSH steps against it, and `pulumi destroy` the stack's own archive before the
 * Droplet's delete call.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { CONFIG_NAMESPACE } from "../lib/config/stack";
import { PROJECT_DIR } from "../lib/server";
import { CloudflareStandIn, startCloudflare } from "../test/engine/standIns/cloudflare";
import { DigitalOceanStandIn, startDigitalOcean } from "../test/engine/standIns/digitalocean";
import { engineEnv, Toolchain, Workspace } from "../test/engine/toolchain";
import { ClassServer } from "./classServer";

export interface LocalCloudOptions {
    /** The class server, not started: its world is built here, its Droplets booted by the engine's calls. */
    readonly server: ClassServer;
    /** The stack's name. */
    readonly stack: string;
    readonly toolchain: Toolchain;
    /** A private directory for the project file, the stack file and the stack's state. */
    readonly workDir: string;
}

/** A Droplet delete call, and the stack's archives in archives/ at that moment. */
export interface DropletDeletion {
    readonly id: number;
    readonly at: number;
    readonly archives: readonly string[];
}

export class LocalCloud {
    private constructor(
        readonly server: ClassServer,
        /** Every Droplet delete call so far. */
        readonly deletions: readonly DropletDeletion[],
        readonly workspace: Workspace,
        readonly digitalocean: DigitalOceanStandIn,
        readonly cloudflare: CloudflareStandIn,
        private readonly ownCloudflare: boolean,
    ) {}

    /** Builds the class server's world and the stand-ins, and a stack whose config is the server's. */
    static async start(options: LocalCloudOptions): Promise<LocalCloud> {
        const { server, stack, toolchain, workDir } = options;
        await server.startWorld();
        const deletions: DropletDeletion[] = [];
        const digitaloceanToken = `dop_v1_${randomBytes(32).toString("hex")}`;
        const digitalocean = await startDigitalOcean({
            token: digitaloceanToken,
            dropletIpv4: server.network.guestAddress,
            machines: {
                dropletCreated: async ({ userData, volumeNames }) => {
                    if (volumeNames.length !== 1) throw new Error(`a class Droplet has the students' volume attached; this one has ${volumeNames.length} volumes`);
                    await server.bootDroplet(userData);
                },
                dropletDeleted: async (id) => {
                    deletions.push({ id, at: Date.now(), archives: stackArchives(stack) });
                    await server.shutdownDroplet();
                },
            },
        });
        // With perStudentOrigins the server's ACME client talks to the Cloudflare stand-in too: the same one.
        const cloudflare = server.dns01?.cloudflare ?? await startCloudflare({ token: server.cloudflareToken, zoneName: server.config.dnsZone });

        const stateDir = join(workDir, "state");
        mkdirSync(stateDir, { recursive: true, mode: 0o700 });
        copyFileSync(join(PROJECT_DIR, "Pulumi.yaml"), join(workDir, "Pulumi.yaml"));
        writeFileSync(join(workDir, `Pulumi.${stack}.yaml`), stringifyYaml({ config: plainSettings(server.stackConfig) }), { mode: 0o600 });
        const workspace = new Workspace(workDir, stack, engineEnv(toolchain, {
            stateDir, passphrase: randomBytes(24).toString("base64url"), digitaloceanToken, cloudflareToken: server.cloudflareToken,
        }));
        workspace.pulumi(["stack", "init", stack]);
        // On stdin: a value may start with "-" or span lines (the private key).
        const set = (key: string, value: string, secret = false) =>
            workspace.pulumi(["config", "set", ...(secret ? ["--secret"] : []), key], { input: value });
        set(`${CONFIG_NAMESPACE}:oauthClientSecret`, server.oauthClientSecretValue, true);
        set(`${CONFIG_NAMESPACE}:sshPrivateKey`, server.sshPrivateKey, true);
        set("digitalocean:apiEndpoint", digitalocean.url);
        set("cloudflare:baseUrl", cloudflare.baseUrl);
        return new LocalCloud(server, deletions, workspace, digitalocean, cloudflare, !server.dns01);
    }

    /** Sets a key of the class's stack config, as `pulumi config set` does (`--path` for a list entry). */
    setConfig(key: string, value: string, path = false): void {
        this.workspace.pulumi(["config", "set", ...(path ? ["--path"] : []), `${CONFIG_NAMESPACE}:${key}`], { input: value });
    }

    /** The stand-ins' refusals: calls the real APIs would refuse too. */
    problems(): string[] {
        return [...this.digitalocean.problems, ...this.cloudflare.problems];
    }

    async stop(): Promise<void> {
        await this.digitalocean.close();
        if (this.ownCloudflare) await this.cloudflare.close();
        await this.server.stop();
    }
}

/** The stack's archives in the project's archives/ (npm run archive names them <stack>-<time>.tar.gz). */
export function stackArchives(stack: string): string[] {
    const dir = join(PROJECT_DIR, "archives");
    return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(`${stack}-`) && name.endsWith(".tar.gz")).sort() : [];
}

/**
 * The stack's settings without its encrypted values: the local stack has its own passphrase, and
 * its secrets are set again (the local identity provider's client secret, the local login key).
 */
function plainSettings(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(config).filter(([, value]) => !(typeof value === "object" && value !== null && "secure" in value)));
}

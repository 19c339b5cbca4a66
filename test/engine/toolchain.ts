/**
 * The real Pulumi toolchain for the engine test: builds it (tools/engine/build.sh), and runs the CLI
 * and stack operations (runOperation.ts) in a work directory with a local file backend.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { OperationReport } from "./runOperation";

export const REPO = resolve(__dirname, "../..");
export const PLUGINS = ["random", "tls", "command", "digitalocean", "cloudflare"] as const;
export type Plugin = (typeof PLUGINS)[number];
// An `up` boots a server, installs the hub and waits for its certificate; the health check alone may wait 10 minutes.
const OPERATION_LIMIT_MS = 20 * 60_000;

export interface Toolchain {
    readonly binDir: string;
    readonly pulumiHome: string;
    readonly buildSeconds: number;
    /** Pieces build.sh could not build → the command and error it recorded. */
    readonly blocked: ReadonlyMap<string, string>;
    /** Plugins the CLI will not find at the pinned version (build.sh printed why). */
    readonly missingPlugins: readonly Plugin[];
}

export function buildToolchain(): Toolchain {
    const started = Date.now();
    const result = spawnSync("bash", [join(REPO, "tools/engine/build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (result.status !== 0) throw new Error(`tools/engine/build.sh failed (exit ${result.status}): the Pulumi CLI did not build`);
    const buildSeconds = (Date.now() - started) / 1000;
    const values = result.stdout.trim().split("\n").map((line) => line.split(/=(.*)/s) as [string, string]);
    const single = (key: string) => values.find(([k]) => k === key)?.[1] ?? "";
    const blocked = new Map(values.filter(([k]) => k === "blocked").map(([, v]) => {
        const [name, file] = v.split(" ");
        return [name, readFileSync(file, "utf8").trim()];
    }));
    const pulumiHome = single("pulumi_home");
    const missingPlugins = PLUGINS.filter((plugin) => {
        const version = npmVersion(`@pulumi/${plugin}`);
        return !existsSync(join(pulumiHome, "plugins", `resource-${plugin}-v${version}`, `pulumi-resource-${plugin}`));
    });
    return { binDir: single("bin_dir"), pulumiHome, buildSeconds, blocked, missingPlugins };
}

/** What the CLI and its providers need: the built toolchain, a local file backend, the passphrase and the stand-ins' tokens. */
export interface EngineSettings {
    /** The file backend's directory: the stack's state. */
    readonly stateDir: string;
    /** Encrypts the stack's secrets (the passphrase secrets provider). */
    readonly passphrase: string;
    readonly digitaloceanToken: string;
    readonly cloudflareToken: string;
}

/** The CLI's environment: nothing downloaded, no ambient plugin, no update check. */
export function engineEnv(toolchain: Toolchain, settings: EngineSettings): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PATH: `${toolchain.binDir}:${process.env.PATH}`,
        PULUMI_HOME: toolchain.pulumiHome,
        PULUMI_BACKEND_URL: `file://${settings.stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: settings.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        DIGITALOCEAN_TOKEN: settings.digitaloceanToken,
        CLOUDFLARE_API_TOKEN: settings.cloudflareToken,
    };
}

function npmVersion(name: string): string {
    const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8"));
    return lock.packages[`node_modules/${name}`].version;
}

/** The stack's own program. */
export const CLASS_PROGRAM = join(REPO, "index.ts");

/**
 * A stack's world: its work directory (Pulumi.yaml and the stack file), the CLI's environment and the
 * program the operations run.
 */
export class Workspace {
    constructor(
        readonly dir: string,
        readonly stack: string,
        readonly env: NodeJS.ProcessEnv,
        readonly program: string = CLASS_PROGRAM,
    ) {}

    /** Runs the real CLI in the work directory; returns its stdout and its output, stdout then stderr. */
    pulumi(args: readonly string[], options: { readonly mayFail?: boolean; readonly input?: string } = {}): { status: number; stdout: string; output: string } {
        const result = spawnSync("pulumi", [...args, "--non-interactive"], {
            cwd: this.dir, env: this.env, encoding: "utf8", input: options.input, timeout: 120_000,
        });
        const output = `${result.stdout}${result.stderr}`;
        if (result.status !== 0 && !options.mayFail) throw new Error(`pulumi ${args.join(" ")} failed (${result.status}):\n${output}`);
        return { status: result.status ?? -1, stdout: result.stdout, output };
    }

    /**
     * One preview, up or destroy of the program, in a fresh process (runOperation.ts); `onOutput`
     * hears the CLI's output as it comes.
     */
    async operation(name: "preview" | "up" | "destroy", onOutput: (text: string) => void = () => undefined): Promise<OperationReport & { cliOutput: string }> {
        const reportPath = join(this.dir, `${name}-${Date.now()}.json`);
        const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "runOperation.ts"), name, this.program, this.dir, this.stack, reportPath], {
            cwd: REPO, env: this.env, stdio: ["ignore", "pipe", "pipe"],
        });
        let cliOutput = "";
        const hear = (d: Buffer) => { cliOutput += d; onOutput(d.toString()); };
        child.stdout.on("data", hear);
        child.stderr.on("data", hear);
        // A provider that keeps dialing (SSH to a Droplet nobody answers for) must not hang the test.
        const limit = setTimeout(() => child.kill("SIGTERM"), OPERATION_LIMIT_MS);
        const code = await new Promise<number>((done) => child.on("exit", (c) => done(c ?? -1)));
        clearTimeout(limit);
        if (code === 2 || !existsSync(reportPath)) throw new Error(`runOperation ${name} crashed or ran over ${OPERATION_LIMIT_MS / 1000} s (exit ${code}):\n${cliOutput}`);
        return { ...JSON.parse(readFileSync(reportPath, "utf8")), cliOutput };
    }
}

export function pulumiVersion(binDir: string): string {
    return execFileSync(join(binDir, "pulumi"), ["version"], { encoding: "utf8" }).trim();
}

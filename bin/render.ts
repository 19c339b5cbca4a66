// Offline preview of what `pulumi up` sends to the server, from a stack settings file, with no
// Pulumi CLI and no credentials:
//   npm run render -- --config Pulumi.<class>.yaml --out DIR [--ssh-public-key FILE]
import { randomBytes, randomInt } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { applyBundleJson, classSettings, ClassSecrets, COOKIE_SECRET_BYTES, TRAEFIK_API_PASSWORD_LENGTH } from "../lib/bundle";
import { ClassConfig, ClassConfigError, parseClassConfig } from "../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../lib/config/stack";
import { generateHostKey, withHostKey } from "../lib/hostKey";
import { renderSyncDocument, renderUserData } from "../lib/userData";

const USAGE = "usage: npm run render -- --config Pulumi.<class>.yaml --out DIR [--ssh-public-key FILE]";

/** A problem with the command line or the files it names: exit 2, message only. */
class InputError extends Error {}

function readInput(path: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch (err) {
        throw new InputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
}

/**
 * The secrets the server would get. Secrets the instructor sets come from the environment, or are
 * clear placeholders; generated ones are fresh unless given, like a new stack's.
 */
function renderSecrets(cfg: ClassConfig, env: NodeJS.ProcessEnv): ClassSecrets {
    const cookieSecret = env.CLASSROOM_COOKIE_SECRET ?? randomBytes(COOKIE_SECRET_BYTES).toString("hex");
    if (!new RegExp(`^[0-9a-f]{${COOKIE_SECRET_BYTES * 2}}$`).test(cookieSecret)) {
        throw new InputError(`CLASSROOM_COOKIE_SECRET: expected ${COOKIE_SECRET_BYTES * 2} lower-case hex characters`);
    }
    return {
        oauthClientSecret: env.CLASSROOM_OAUTH_CLIENT_SECRET ?? "<set CLASSROOM_OAUTH_CLIENT_SECRET>",
        cookieSecret,
        traefikApiPassword: env.CLASSROOM_TRAEFIK_API_PASSWORD ?? randomAlphanumeric(TRAEFIK_API_PASSWORD_LENGTH),
        courseRepoToken: cfg.course?.hasToken ? env.CLASSROOM_COURSE_REPO_TOKEN ?? "<set CLASSROOM_COURSE_REPO_TOKEN>" : null,
        // The stack creates it (HubAcmeToken); a preview can only name where it goes.
        cloudflareDnsToken: cfg.perStudentOrigins ? env.CLASSROOM_CLOUDFLARE_DNS_TOKEN ?? "<set CLASSROOM_CLOUDFLARE_DNS_TOKEN>" : null,
    };
}

function randomAlphanumeric(length: number): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
}

/**
 * Creates the file 0600 before anything is in it. Removed first, because writeFileSync's mode only
 * applies to a new file: one left world-readable by an earlier run would stay so.
 */
function writePrivate(path: string, text: string): void {
    rmSync(path, { force: true });
    writeFileSync(path, text, { mode: 0o600, flag: "wx" });
}

function main(argv: string[]): void {
    const { values } = parseArgs({
        args: argv,
        options: { config: { type: "string" }, out: { type: "string" }, "ssh-public-key": { type: "string" } },
    });
    if (!values.config || !values.out) throw new InputError(USAGE);
    // `npm run` starts scripts in the project directory; paths are meant from where it was called.
    const base = process.env.npm_lifecycle_event === "render" ? process.env.INIT_CWD ?? process.cwd() : process.cwd();
    const configPath = resolve(base, values.config);
    const outDir = resolve(base, values.out);

    let raw: Record<string, unknown>;
    try {
        raw = rawClassConfigFromStackFile(readInput(configPath));
    } catch (err) {
        throw err instanceof InputError ? err : new InputError(`${configPath}: ${(err as Error).message}`);
    }
    // The Pulumi program runs in the project directory, next to the stack file: roster paths are relative to it.
    const cfg = parseClassConfig(raw, (path) => readFileSync(resolve(dirname(configPath), path), "utf8"),
        (message) => console.error(`warning: ${message}`));
    const stackKeys = values["ssh-public-key"] ? [readInput(resolve(base, values["ssh-public-key"])).trim()] : [];
    const secrets = renderSecrets(cfg, process.env);

    // A fresh host key per render, as a new stack's @pulumi/tls key: the user-data installs it, and
    // whoever boots this user-data pins ssh_host_ed25519_key.pub (known_hosts) before sending anything.
    const hostKey = generateHostKey();

    mkdirSync(outDir, { recursive: true });
    // The user-data holds the host key's private half: as private as the key itself.
    writePrivate(join(outDir, "user-data"), withHostKey(renderUserData(cfg, stackKeys), hostKey));
    writePrivate(join(outDir, "ssh_host_ed25519_key"), hostKey.privateKey);
    writeFileSync(join(outDir, "ssh_host_ed25519_key.pub"), `${hostKey.publicKey}\n`);
    // What HubSync sends to a running server: user-data's files plus the day-2 tools.
    writeFileSync(join(outDir, "sync-document"), renderSyncDocument(cfg, stackKeys));
    // class.json holds the roster (students' names and addresses): as private as on the server.
    writePrivate(join(outDir, "class.json"), `${JSON.stringify(classSettings(cfg), null, 2)}\n`);
    writePrivate(join(outDir, "secrets.json"), `${JSON.stringify(secrets, null, 2)}\n`);
    writePrivate(join(outDir, "apply-bundle.json"), applyBundleJson(classSettings(cfg), secrets));
    console.log(`wrote user-data, ssh_host_ed25519_key(.pub), sync-document, class.json, secrets.json and apply-bundle.json for ${cfg.hostname} to ${outDir}`);
    if (stackKeys.length === 0) {
        console.error("note: no --ssh-public-key, so user-data has only adminSshKeys; `pulumi up` adds the stack's own key");
    }
}

try {
    main(process.argv.slice(2));
} catch (err) {
    if (err instanceof ClassConfigError) {
        console.error(err.message);
        process.exitCode = 1;
    } else if (err instanceof InputError) {
        console.error(err.message);
        process.exitCode = 2;
    } else if ((err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
        // An unknown option, or one without its value.
        console.error(`${(err as Error).message}\n${USAGE}`);
        process.exitCode = 2;
    } else {
        throw err;
    }
}

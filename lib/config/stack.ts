import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ClassConfig, ClassConfigError, parseClassConfig, SECRET_IS_SET } from "./classConfig";
import { SECRET_KEYS } from "./keys";

/**
 * The stack reader: the stack's config as the Pulumi CLI hands it to the program (or as a stack
 * file holds it, for `npm run render`), reduced to the raw map parseClassConfig validates.
 */

/** The stack config namespace: the project name in Pulumi.yaml. */
export const CONFIG_NAMESPACE = "jupyterhub-classroom";

const isEncrypted = (value: unknown): boolean =>
    typeof value === "object" && value !== null && "secure" in value;

/**
 * The raw map parseClassConfig validates, from namespaced stack config (`jupyterhub-classroom:key`
 * → value). Every key of the namespace is kept, known or not, so a mistyped key is reported;
 * keys of other namespaces (digitalocean:token, …) belong to their providers. Secret keys, and any
 * value encrypted in the stack file, become SECRET_IS_SET: the validator, and so every error
 * message, only ever learns that a secret is set.
 */
export function rawClassConfig(namespaced: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const prefix = `${CONFIG_NAMESPACE}:`;
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(namespaced)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        // Pulumi.yaml gives optional keys an empty default: empty means unset.
        if (value === "") continue;
        raw[key] = (SECRET_KEYS as readonly string[]).includes(key) || isEncrypted(value) ? SECRET_IS_SET : value;
    }
    return raw;
}

/**
 * The raw map from a stack settings file (Pulumi.<stack>.yaml), read the way the Pulumi CLI hands
 * it to the program: its `config:` map, plain values as they are, `{secure: …}` values as set.
 */
export function rawClassConfigFromStackFile(yamlText: string): Record<string, unknown> {
    const document: unknown = parse(yamlText);
    const config = typeof document === "object" && document !== null ? (document as { config?: unknown }).config : undefined;
    if (config === undefined || config === null) return {};
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new Error("expected the stack file's `config:` to be a map of `jupyterhub-classroom:<key>: value`");
    }
    return rawClassConfig(config as Record<string, unknown>);
}

/** The secret config values, only ever as secret Outputs: never validated, printed or logged. */
export interface StackSecrets {
    readonly oauthClientSecret: pulumi.Output<string>;
    readonly sshPrivateKey?: pulumi.Output<string>;
    readonly courseRepoToken?: pulumi.Output<string>;
}

/**
 * Reads and validates this stack's config before any resource is registered. A bad config stops
 * the program with every problem at once; RunError makes the CLI print just that message, not a
 * stack trace that would bury it.
 */
export function readStackConfig(): { cfg: ClassConfig; secrets: StackSecrets } {
    let cfg: ClassConfig;
    try {
        cfg = parseClassConfig(rawClassConfig(pulumi.runtime.allConfig()), undefined, (message) => pulumi.log.warn(message));
    } catch (err) {
        if (err instanceof ClassConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    return {
        cfg,
        secrets: {
            oauthClientSecret: config.requireSecret("oauthClientSecret"),
            sshPrivateKey: cfg.ssh.hasPrivateKey ? config.requireSecret("sshPrivateKey") : undefined,
            courseRepoToken: cfg.course?.hasToken ? config.requireSecret("courseRepoToken") : undefined,
        },
    };
}

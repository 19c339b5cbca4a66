import * as pulumi from "@pulumi/pulumi";
import { ClassConfig, ClassConfigError, parseClassConfig } from "./classConfig";
import { CONFIG_NAMESPACE, rawClassConfig } from "./rawConfig";

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
        cfg = parseClassConfig(rawClassConfig(pulumi.runtime.allConfig()));
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

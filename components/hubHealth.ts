import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

import { healthCheckCommand } from "../lib/server";

export interface HubHealthArgs {
    /** SSH to the Droplet's admin user (lib/sshConnection.ts). */
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** How long `pulumi up` waits for the hub, in minutes (healthCheckTimeoutMinutes, default 10). */
    readonly timeoutMinutes: number;
    /**
     * The certificate comes from a CA that is not in the system's trust store (Let's Encrypt
     * staging, a test ACME server): the check trusts the chain Traefik obtained from it instead.
     */
    readonly untrustedCa: boolean;
    /** The steps that change the server (HubSync, HubSettings): the check runs after them. */
    readonly after: readonly pulumi.Resource[];
    /**
     * Values that change whenever those steps change the server (the sync document's and the
     * bundle's hashes, the Droplet's id): every change runs the check again.
     */
    readonly triggers: readonly pulumi.Input<unknown>[];
}

/**
 * Makes `pulumi up` succeed only when students can reach the hub: https://<hostname>/hub/health
 * answering over a certificate valid for the hostname. When it does not within the timeout, the
 * update fails and shows why, as read on the server (cloud-init/python/classroom_ops/health.py).
 */
export class HubHealth extends pulumi.ComponentResource {
    /** What the check printed: `healthy: https://…/hub/health`. */
    readonly result: pulumi.Output<string>;

    constructor(name: string, args: HubHealthArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubHealth", name, {}, opts);
        const check = healthCheckCommand(args.timeoutMinutes, args.untrustedCa);
        // A few minutes beyond the check's own limit, so its report, not Pulumi's timeout, ends a failed wait.
        const limit = `${args.timeoutMinutes + 5}m`;
        const health = new command.remote.Command(`${name}-check`, {
            connection: args.connection,
            create: check,
            // The same command: a new trigger runs the check again in place.
            update: check,
            triggers: [...args.triggers],
        }, { parent: this, dependsOn: [...args.after], customTimeouts: { create: limit, update: limit } });

        this.result = health.stdout;
        this.registerOutputs({ result: this.result });
    }
}

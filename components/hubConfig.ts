import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { bundleHash } from "../lib/applyBundle";

export interface HubConfigArgs {
    /** SSH to the Droplet's admin user (lib/sshConnection.ts), who runs classroom-apply through passwordless sudo. */
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /** The apply bundle's JSON (lib/applyBundle.ts): class settings and secrets, sent on stdin. */
    readonly bundleJson: pulumi.Input<string>;
    /** The Droplet's id: a new Droplet waits for cloud-init and gets the bundle again. */
    readonly serverId: pulumi.Input<string>;
    /** Steps the settings must come after: HubSync, whose server files classroom-apply and the hub read. Default: none. */
    readonly after?: readonly pulumi.Resource[];
}

/**
 * Waits for cloud-init to finish. Exit 2 is "done, with recoverable errors" (cloud-init 23.4 and
 * later; some distributions' packages report it as 0): a deprecated key or a logged warning, while
 * the install itself ran. It passes, as cloud-init's documentation advises; a failing install
 * script is an error, exit 1, and stops `pulumi up` here. `--long` puts cloud-init's own account
 * of errors and warnings in the log either way.
 */
export const WAIT_FOR_CLOUD_INIT =
    'cloud-init status --wait --long; status=$?; [ "$status" -eq 0 ] || [ "$status" -eq 2 ]';

/** Reads the bundle from stdin, writes class.json and secrets.json (0600) and restarts the hub. -n: fail, never prompt. */
export const APPLY_CLASS_SETTINGS = "sudo -n /usr/local/lib/jupyterhub-classroom/classroom-apply";

/**
 * Puts the class settings and secrets on the server over SSH. Changing the roster, limits, login
 * page, course or OAuth settings changes the bundle, and `pulumi up` updates this one resource in
 * place; the Droplet stays.
 */
export class HubConfig extends pulumi.ComponentResource {
    /** The sha256 of the bundle last applied (secret): it changes whenever the settings on the server do. */
    readonly bundleHash: pulumi.Output<string>;

    constructor(name: string, args: HubConfigArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubConfig", name, {}, opts);
        const waitForCloudInit = new command.remote.Command(`${name}-wait-for-cloud-init`, {
            connection: args.connection,
            create: WAIT_FOR_CLOUD_INIT,
            // No update command: a new Droplet replaces this step, which runs create again.
            triggers: [args.serverId],
        }, { parent: this, customTimeouts: { create: "20m" } });

        // Secret, so state, previews and the trigger never show the bundle or even its hash.
        const stdin = pulumi.secret(args.bundleJson);
        const hash = pulumi.secret(stdin.apply(bundleHash));
        new command.remote.Command(`${name}-apply`, {
            connection: args.connection,
            create: APPLY_CLASS_SETTINGS,
            // The same command: a changed bundle updates this resource in place instead of replacing it.
            update: APPLY_CLASS_SETTINGS,
            stdin,
            triggers: [hash, args.serverId],
            // The provider never logs stdin; classroom-apply prints what it did and never a
            // secret's value, so the instructor sees both its report and its errors.
            logging: "stdoutAndStderr",
        }, {
            parent: this,
            dependsOn: [waitForCloudInit, ...(args.after ?? [])],
            customTimeouts: { create: "10m", update: "10m" },
        });

        this.bundleHash = hash;
        this.registerOutputs({ bundleHash: this.bundleHash });
    }
}

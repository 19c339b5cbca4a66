import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { SYNC_COMMAND } from "../lib/server";

export interface HubSyncArgs {
    /** SSH to the Droplet's admin user (lib/sshConnection.ts). */
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    /**
     * The sync document (lib/userData.ts renderSyncDocument): every server file, lock files and the
     * day-2 tools the first boot's user-data leaves out included. It holds no secrets.
     */
    readonly syncDocument: pulumi.Input<string>;
    /** The Droplet's id: a new Droplet lacks the day-2 tools until this step runs again on it. */
    readonly serverId: pulumi.Input<string>;
}

export function syncDocumentHash(syncDocument: string): string {
    return createHash("sha256").update(syncDocument).digest("hex");
}

/**
 * Brings the server up to date with the sync document in place, without replacing the Droplet: new
 * server files, new pinned hub versions or students' packages (the lock files) reach it over SSH,
 * and classroom-sync re-runs the idempotent install, which upgrades the environments (the hub's
 * database backed up and migrated first) and restarts what changed.
 */
export class HubSync extends pulumi.ComponentResource {
    /** The sha256 of the sync document this step last delivered. */
    readonly syncDocumentHash: pulumi.Output<string>;

    constructor(name: string, args: HubSyncArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubSync", name, {}, opts);
        const hash = pulumi.output(args.syncDocument).apply(syncDocumentHash);
        new command.remote.Command(`${name}-sync`, {
            connection: args.connection,
            create: SYNC_COMMAND,
            // The same command: a new sync document updates this step in place.
            update: SYNC_COMMAND,
            stdin: args.syncDocument,
            triggers: [hash, args.serverId],
        }, {
            parent: this,
            // The first boot's cloud-init (up to 20 minutes), then an install that may fetch new packages.
            customTimeouts: { create: "40m", update: "30m" },
        });

        this.syncDocumentHash = hash;
        this.registerOutputs({ syncDocumentHash: this.syncDocumentHash });
    }
}

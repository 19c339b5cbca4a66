import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { archiveCommand, PROJECT_DIR } from "../lib/server";

export interface HubArchiveArgs {
    /** The Droplet's public IPv4 address. */
    readonly host: pulumi.Input<string>;
    /** The admin user; classroom-archive runs through its passwordless sudo. */
    readonly user: pulumi.Input<string>;
    /** The stack's SSH private key (secret): it reaches tools/archive.ts through the environment only. */
    readonly privateKey: pulumi.Input<string>;
    /**
     * The Droplet's SSH host key (`ssh-ed25519 AAAA…`, HubServer): tools/archive.ts talks only to a
     * server that shows it. It reaches the tool through the environment, never the command line.
     */
    readonly hostKey: pulumi.Input<string>;
    /** The stack's name: archives are archives/<stack>-<UTC time>.tar.gz. */
    readonly stackName: string;
    /** archiveOnDestroy (default true). When false, the Droplet goes without an archive. */
    readonly enabled: boolean;
    /** The Droplet's id: a replaced Droplet is archived before it is deleted, as on destroy. */
    readonly serverId: pulumi.Input<string>;
    /** The server's resources (HubServer): Pulumi deletes them only after this step's delete succeeded. */
    readonly server: pulumi.Resource;
    /**
     * Steps that put classroom-archive on the server (HubSync). Until they have succeeded this step
     * is not created, so a first `pulumi up` that failed early can still be destroyed.
     */
    readonly after?: readonly pulumi.Resource[];
}

/**
 * Archives the students' homes and the hub database to this machine before the Droplet is deleted.
 * A local command whose `delete` runs tools/archive.ts: it depends on the server, so Pulumi deletes
 * it first, and a failed or unverified copy fails the delete, which stops the destroy (or the
 * replacement) before the Droplet is touched.
 */
export class HubArchive extends pulumi.ComponentResource {
    constructor(name: string, args: HubArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubArchive", name, {}, opts);
        new command.local.Command(`${name}-before-delete`, {
            delete: args.enabled
                ? pulumi.all([args.host, args.user]).apply(([host, user]) => archiveCommand(host, user, args.stackName))
                : undefined,
            // The project's directory, where `npm run archive` is and archives/ is kept, wherever
            // the engine starts the provider.
            dir: PROJECT_DIR,
            environment: { CLASSROOM_SSH_PRIVATE_KEY: pulumi.secret(args.privateKey), CLASSROOM_SSH_HOST_KEY: args.hostKey },
            // A new Droplet replaces this step, so the old one's delete archives the old Droplet.
            triggers: [args.serverId],
        }, { parent: this, dependsOn: [args.server, ...(args.after ?? [])], customTimeouts: { delete: "60m" } });
        this.registerOutputs({});
    }
}

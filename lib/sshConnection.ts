import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/**
 * How every step on the server reaches it: the admin user over SSH with the stack's key. A fresh
 * Droplet refuses SSH until it has booted and cloud-init has made the admin user, so each dial is
 * bounded and retried without limit; each step's customTimeouts bound the whole wait.
 */
export function sshConnection(host: pulumi.Input<string>, user: pulumi.Input<string>,
    privateKey: pulumi.Input<string>): command.types.input.remote.ConnectionArgs {
    return { host, user, privateKey, dialErrorLimit: -1, perDialTimeout: 30 };
}

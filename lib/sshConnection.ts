import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/**
 * How every step on the server reaches it: the admin user over SSH with the stack's key, to a
 * server that must show the stack's host key. pulumi-command (1.2) checks `hostKey` as a fixed key
 * (golang.org/x/crypto/ssh FixedHostKey, offering only that key's algorithm): a server with any
 * other key fails the handshake, before the stack's key signs in and before stdin is sent.
 * A fresh Droplet refuses SSH until it has booted and cloud-init has made the admin user, so each
 * dial is bounded and retried without limit; each step's customTimeouts bound the whole wait (a
 * wrong host key is retried too, so it fails the step at that limit, having sent nothing).
 */
export function sshConnection(host: pulumi.Input<string>, user: pulumi.Input<string>,
    privateKey: pulumi.Input<string>, hostKey: pulumi.Input<string>): command.types.input.remote.ConnectionArgs {
    return { host, user, privateKey, hostKey, dialErrorLimit: -1, perDialTimeout: 30 };
}

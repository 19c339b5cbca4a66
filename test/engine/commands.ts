/**
 * The class's SSH and archive steps in miniature, as a program of their own: remote commands over the
 * stack's own connection settings (lib/sshConnection.ts: its key, the pinned host key, unlimited dials)
 * to a local sshd, and a local command whose `delete` gets a secret through its environment, as
 * HubArchive's does. The engine test runs it with the command plugin, where no class server can boot.
 *
 * Stack config (commandsTest:*): host, port, user, privateKey (secret), hostKey, dir (where the
 * commands write), bundle (secret, the settings step's stdin) and serverId (the steps' trigger, as
 * the Droplet's id is the class's).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shellCommand } from "../../lib/server";
import { sshConnection } from "../../lib/sshConnection";

const config = new pulumi.Config("commandsTest");
const dir = config.require("dir");
const serverId = config.require("serverId");
const connection = {
    ...sshConnection(config.require("host"), config.require("user"), config.requireSecret("privateKey"), config.require("hostKey")),
    port: config.requireNumber("port"),
};

// Like HubSettings' wait-for-cloud-init: no update command, so only a new server runs it again.
const waited = new command.remote.Command("wait", {
    connection,
    create: "echo ready",
    triggers: [serverId],
});

// Like HubSettings' apply: the same command on create and update, the bundle on stdin.
const applyCommand = `cat > ${shellCommand([`${dir}/applied`])} && echo "applied $(wc -c < ${shellCommand([`${dir}/applied`])}) bytes"`;
const applied = new command.remote.Command("apply", {
    connection,
    create: applyCommand,
    update: applyCommand,
    stdin: config.requireSecret("bundle"),
    triggers: [serverId],
    logging: "stdoutAndStderr",
}, { dependsOn: [waited] });

// Like HubArchive's before-delete: the secret reaches the command through the environment only.
new command.local.Command("before-delete", {
    delete: `printf '%s' "$ENGINE_TEST_SECRET" > ${shellCommand([`${dir}/deleted`])}`,
    environment: { ENGINE_TEST_SECRET: config.requireSecret("bundle") },
    triggers: [serverId],
}, { dependsOn: [applied] });

export const appliedStdout = applied.stdout;
export const waitedStdout = waited.stdout;

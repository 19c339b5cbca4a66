import * as pulumi from "@pulumi/pulumi";
import { HubArchive } from "./components/hubArchive";
import { HubConfig } from "./components/hubConfig";
import { HubDns } from "./components/hubDns";
import { HubHealth } from "./components/hubHealth";
import { HubSecrets } from "./components/hubSecrets";
import { HubServer } from "./components/hubServer";
import { HubSync } from "./components/hubSync";
import { LETS_ENCRYPT } from "./lib/classConfig";
import { oauthCallbackUrl as callbackUrl } from "./lib/settings";
import { sshConnection } from "./lib/sshConnection";
import { stackBundleJson } from "./lib/stackBundle";
import { readStackConfig } from "./lib/stackConfig";

const { cfg, secrets } = readStackConfig();
for (const warning of cfg.warnings) pulumi.log.warn(warning);

const server = new HubServer("hub", { config: cfg, sshPrivateKey: secrets.sshPrivateKey });
new HubDns("hub", {
    zoneName: cfg.dnsZone,
    hostname: cfg.hostname,
    ipv4Address: server.ipv4,
    ipv6Address: server.ipv6,
    proxied: cfg.dnsProxied,
});
const generated = new HubSecrets("hub");
const connection = sshConnection(server.ipv4, cfg.admin.user, server.privateKey);
const sync = new HubSync("hub", { connection, userData: server.syncDocument, serverId: server.dropletId });
const config = new HubConfig("hub", {
    connection,
    bundleJson: stackBundleJson(cfg, secrets, generated),
    serverId: server.dropletId,
    after: [sync],
});
new HubHealth("hub", {
    connection,
    timeoutMinutes: cfg.operations.healthCheckTimeoutMinutes,
    staging: cfg.tls.acmeDirectoryUrl !== LETS_ENCRYPT,
    after: [sync, config],
    triggers: [sync.userDataHash, config.bundleHash, server.dropletId],
});
new HubArchive("hub", {
    host: server.ipv4,
    user: cfg.admin.user,
    privateKey: server.privateKey,
    stackName: pulumi.getStack(),
    enabled: cfg.operations.archiveOnDestroy,
    serverId: server.dropletId,
    server,
    after: [sync],
});

export const hubUrl = `https://${cfg.hostname}/`;
export const oauthCallbackUrl = callbackUrl(cfg.hostname);
export const adminUser = cfg.admin.user;
export const ipv4 = server.ipv4;
export const ipv6 = server.ipv6;
export const sshCommand = pulumi.interpolate`ssh -i <(pulumi stack output --show-secrets privateKey) ${cfg.admin.user}@${server.ipv4}`;
export const privateKey = server.privateKey;

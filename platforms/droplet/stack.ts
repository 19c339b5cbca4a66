import * as pulumi from "@pulumi/pulumi";
import { HubArchive } from "../../components/hubArchive";
import { HubConfig } from "../../components/hubConfig";
import { HubDns } from "../../components/hubDns";
import { HubHealth } from "../../components/hubHealth";
import { HubSecrets } from "../../components/hubSecrets";
import { HubServer } from "../../components/hubServer";
import { HubSync } from "../../components/hubSync";
import { ClassConfig, LETS_ENCRYPT } from "../../lib/classConfig";
import { oauthCallbackUrl as callbackUrl } from "../../lib/settings";
import { sshConnection } from "../../lib/sshConnection";
import { stackBundleJson } from "../../lib/stackBundle";
import { StackSecrets } from "../../lib/stackConfig";

/** The class on one Droplet: the server, its DNS records, and the SSH steps that configure, check and archive it. */
export function dropletStack(cfg: ClassConfig, secrets: StackSecrets) {
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

    return {
        hubUrl: `https://${cfg.hostname}/`,
        oauthCallbackUrl: callbackUrl(cfg.hostname),
        adminUser: cfg.admin.user,
        ipv4: server.ipv4,
        ipv6: server.ipv6,
        sshCommand: pulumi.interpolate`ssh -i <(pulumi stack output --show-secrets privateKey) ${cfg.admin.user}@${server.ipv4}`,
        privateKey: server.privateKey,
    };
}

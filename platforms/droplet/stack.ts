import * as pulumi from "@pulumi/pulumi";
import { HubAcmeToken } from "../../components/hubAcmeToken";
import { HubArchive } from "../../components/hubArchive";
import { HubDns } from "../../components/hubDns";
import { HubHealth } from "../../components/hubHealth";
import { HubSecrets } from "../../components/hubSecrets";
import { HubServer } from "../../components/hubServer";
import { HubSettings } from "../../components/hubSettings";
import { HubSync } from "../../components/hubSync";
import { classSettings } from "../../lib/bundle";
import { ClassConfig, LETS_ENCRYPT } from "../../lib/config/classConfig";
import { StackSecrets } from "../../lib/config/stack";
import { sshCommand as loginCommand } from "../../lib/server";
import { sshConnection } from "../../lib/sshConnection";

/** The class on one Droplet: the server, its DNS records, and the SSH steps that configure, check and archive it. */
export function dropletStack(cfg: ClassConfig, secrets: StackSecrets) {
    const settings = classSettings(cfg);
    const server = new HubServer("hub", { config: cfg, sshPrivateKey: secrets.sshPrivateKey });
    const dns = new HubDns("hub", {
        zoneName: cfg.dnsZone,
        hostname: cfg.hostname,
        ipv4Address: server.ipv4,
        ipv6Address: server.ipv6,
        proxied: cfg.dnsProxied,
        wildcard: cfg.perStudentOrigins,
    });
    const acmeToken = cfg.perStudentOrigins ? new HubAcmeToken("hub", { zoneId: dns.zoneId, hostname: cfg.hostname }) : undefined;
    const generated = new HubSecrets("hub");
    const connection = sshConnection(server.ipv4, cfg.admin.user, server.privateKey, server.hostPublicKey);
    const sync = new HubSync("hub", { connection, syncDocument: server.syncDocument, serverId: server.dropletId });
    const hubSettings = new HubSettings("hub", {
        connection,
        settings,
        secrets: {
            oauthClientSecret: secrets.oauthClientSecret,
            cookieSecret: generated.cookieSecret,
            traefikApiPassword: generated.traefikApiPassword,
            courseRepoToken: secrets.courseRepoToken,
            cloudflareDnsToken: acmeToken?.value,
        },
        serverId: server.dropletId,
        after: [sync],
    });
    new HubHealth("hub", {
        connection,
        timeoutMinutes: cfg.operations.healthCheckTimeoutMinutes,
        untrustedCa: cfg.tls.acmeDirectoryUrl !== LETS_ENCRYPT,
        after: [sync, hubSettings],
        triggers: [sync.syncDocumentHash, hubSettings.bundleHash, server.dropletId],
    });
    new HubArchive("hub", {
        host: server.ipv4,
        user: cfg.admin.user,
        privateKey: server.privateKey,
        hostKey: server.hostPublicKey,
        stackName: pulumi.getStack(),
        enabled: cfg.operations.archiveOnDestroy,
        serverId: server.dropletId,
        server,
        after: [sync],
    });

    return {
        hubUrl: `https://${cfg.hostname}/`,
        oauthCallbackUrl: settings.auth.callbackUrl,
        adminUser: cfg.admin.user,
        ipv4: server.ipv4,
        sshCommand: server.ipv4.apply((host) => loginCommand(cfg.admin.user, host)),
        privateKey: server.privateKey,
        /** The Droplet's SSH host key; `pulumi stack output knownHosts >> ~/.ssh/known_hosts` makes ssh check it. */
        sshHostKey: server.hostPublicKey,
        knownHosts: pulumi.interpolate`${server.ipv4} ${server.hostPublicKey}`,
    };
}

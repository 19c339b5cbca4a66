import * as pulumi from "@pulumi/pulumi";
import { HubAcmeToken } from "../../components/hubAcmeToken";
import { HubArchive } from "../../components/hubArchive";
import { HubDns } from "../../components/hubDns";
import { HubHealth } from "../../components/hubHealth";
import { HubSecrets } from "../../components/hubSecrets";
import { HubServer, RunningDroplet } from "../../components/hubServer";
import { HubSettings } from "../../components/hubSettings";
import { HubSync } from "../../components/hubSync";
import { ClassSettings, classSettings } from "../../lib/bundle";
import { ClassConfig, LETS_ENCRYPT } from "../../lib/config/classConfig";
import { StackSecrets } from "../../lib/config/stack";
import { sshCommand as loginCommand } from "../../lib/server";
import { sshConnection } from "../../lib/sshConnection";

/**
 * The class on one Droplet: the server, its DNS records, and the SSH steps that configure, check and
 * archive it. While the class is paused there is no Droplet and so no SSH step; what outlives the
 * Droplet (the volume, the keys, the generated secrets, the hostname's record) stays.
 */
export function dropletStack(cfg: ClassConfig, secrets: StackSecrets) {
    const settings = classSettings(cfg);
    const server = new HubServer("hub", { config: cfg, sshPrivateKey: secrets.sshPrivateKey });
    const running = server.running;
    const dns = new HubDns("hub", {
        zoneName: cfg.dnsZone,
        hostname: cfg.hostname,
        ipv4Address: running?.ipv4,
        ipv6Address: running?.ipv6,
        proxied: cfg.dnsProxied,
        wildcard: cfg.perStudentOrigins,
    });
    const acmeToken = cfg.perStudentOrigins ? new HubAcmeToken("hub", { zoneId: dns.zoneId, hostname: cfg.hostname }) : undefined;
    const generated = new HubSecrets("hub");
    if (running) serverSteps(cfg, settings, server, running, { ...secrets, generated, cloudflareDnsToken: acmeToken?.value });

    return {
        hubUrl: `https://${cfg.hostname}/`,
        oauthCallbackUrl: settings.auth.callbackUrl,
        adminUser: cfg.admin.user,
        /** Between terms: no Droplet, so no address, no SSH (docs/operations.md, "Between terms"). */
        paused: cfg.droplet.paused,
        ipv4: running?.ipv4,
        sshCommand: running?.ipv4.apply((host) => loginCommand(cfg.admin.user, host)),
        privateKey: server.privateKey,
        /** The Droplet's SSH host key; `pulumi stack output knownHosts >> ~/.ssh/known_hosts` makes ssh check it. */
        sshHostKey: server.hostPublicKey,
        knownHosts: running && pulumi.interpolate`${running.ipv4} ${server.hostPublicKey}`,
    };
}

/** The secrets the SSH steps send: the stack's, and those the stack generates. */
interface StepSecrets extends StackSecrets {
    readonly generated: HubSecrets;
    readonly cloudflareDnsToken?: pulumi.Output<string>;
}

/** The SSH steps on a running Droplet: sync the server files, apply the class, check it, archive it before it goes. */
function serverSteps(cfg: ClassConfig, settings: ClassSettings, server: HubServer, running: RunningDroplet, secrets: StepSecrets) {
    const { generated } = secrets;
    const connection = sshConnection(running.ipv4, cfg.admin.user, server.privateKey, server.hostPublicKey);
    const sync = new HubSync("hub", { connection, syncDocument: server.syncDocument, serverId: running.dropletId });
    const hubSettings = new HubSettings("hub", {
        connection,
        settings,
        secrets: {
            oauthClientSecret: secrets.oauthClientSecret,
            cookieSecret: generated.cookieSecret,
            traefikApiPassword: generated.traefikApiPassword,
            courseRepoToken: secrets.courseRepoToken,
            cloudflareDnsToken: secrets.cloudflareDnsToken,
        },
        serverId: running.dropletId,
        after: [sync],
    });
    new HubHealth("hub", {
        connection,
        timeoutMinutes: cfg.operations.healthCheckTimeoutMinutes,
        untrustedCa: cfg.tls.acmeDirectoryUrl !== LETS_ENCRYPT,
        after: [sync, hubSettings],
        triggers: [sync.syncDocumentHash, hubSettings.bundleHash, running.dropletId],
    });
    new HubArchive("hub", {
        host: running.ipv4,
        user: cfg.admin.user,
        privateKey: server.privateKey,
        hostKey: server.hostPublicKey,
        stackName: pulumi.getStack(),
        enabled: cfg.operations.archiveOnDestroy,
        serverId: running.dropletId,
        server,
        after: [sync],
    });
}

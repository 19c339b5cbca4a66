import * as pulumi from "@pulumi/pulumi";
import { HubConfig } from "./components/hubConfig";
import { HubDns } from "./components/hubDns";
import { HubSecrets } from "./components/hubSecrets";
import { HubServer } from "./components/hubServer";
import { applyBundleJson } from "./lib/applyBundle";
import { oauthCallbackUrl as callbackUrl } from "./lib/settings";
import { readStackConfig } from "./lib/stackConfig";

const { cfg, secrets } = readStackConfig();

const server = new HubServer("hub", { config: cfg, sshPrivateKey: secrets.sshPrivateKey });
new HubDns("hub", {
    zoneName: cfg.dnsZone,
    hostname: cfg.hostname,
    ipv4Address: server.ipv4,
    ipv6Address: server.ipv6,
    proxied: cfg.dnsProxied,
});
const generated = new HubSecrets("hub");
const bundleJson = pulumi
    .all([secrets.oauthClientSecret, generated.cookieSecret, generated.traefikApiPassword, secrets.courseRepoToken])
    .apply(([oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken]) =>
        applyBundleJson(cfg, { oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken: courseRepoToken ?? null }));
new HubConfig("hub", {
    host: server.ipv4,
    user: cfg.admin.user,
    privateKey: server.privateKey,
    bundleJson,
    serverId: server.dropletId,
});

export const hubUrl = `https://${cfg.hostname}/`;
export const oauthCallbackUrl = callbackUrl(cfg.hostname);
export const adminUser = cfg.admin.user;
export const ipv4 = server.ipv4;
export const ipv6 = server.ipv6;
export const sshCommand = pulumi.interpolate`ssh -i <(pulumi stack output --show-secrets privateKey) ${cfg.admin.user}@${server.ipv4}`;
export const privateKey = server.privateKey;

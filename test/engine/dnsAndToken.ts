/**
 * The class's Cloudflare part, as a program of its own: the hub's DNS records (HubDns, with the wildcard
 * records of perStudentOrigins) and the ACME client's API token (HubAcmeToken), made by the same
 * components the Droplet stack uses. The engine test runs it with the cloudflare plugin only, so the
 * provider's decisions (update in place or replace) and the token show without a Droplet.
 *
 * Stack config (dnsAndTokenTest:*): hostname, and the server's addresses ipv4 and ipv6; without ipv4
 * the class is paused, as while its Droplet is gone.
 */
import * as pulumi from "@pulumi/pulumi";
import { HubAcmeToken } from "../../components/hubAcmeToken";
import { HubDns } from "../../components/hubDns";

const config = new pulumi.Config("dnsAndTokenTest");
const hostname = config.require("hostname");

const dns = new HubDns("hub", {
    zoneName: "example.edu",
    hostname,
    ipv4Address: config.get("ipv4"),
    ipv6Address: config.get("ipv6"),
    wildcard: true,
});
const acmeToken = new HubAcmeToken("hub", { zoneId: dns.zoneId, hostname });

export const zoneId = dns.zoneId;
export const acmeTokenValue = acmeToken.value;

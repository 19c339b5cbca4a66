import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Dns01World, startDns01World } from "../test/support/dns01World";
import { check } from "./process";

/**
 * perStudentOrigins' wildcard certificate comes through DNS-01 with Cloudflare's API. Around the
 * booted server, on the test's own network, this is what Traefik's ACME client (lego) meets on
 * the internet: Cloudflare's API (the strict stand-in, reached through lego's CLOUDFLARE_BASE_URL
 * in the test's traefik.env, as test/server-traefik-dns01.test.ts does), the public resolvers lego
 * asks (dns-challenge.yaml's, whose packets from the guest this host hands to the zone's stand-in
 * by a DNAT rule, so the server's configuration stays as it ships) and the zone as the CA sees it
 * (pebble asks pebble-challtestsrv, which gets every TXT record the API holds).
 */
export interface AcmeDns01Options {
    /** The host's end of the test's network, where the stand-ins listen. */
    readonly hostAddress: string;
    /** The host's end of the veth pair: the guest's packets arrive on it. */
    readonly hostInterface: string;
    /** network.sh's nftables table (removed by `network.sh down`, with the rule added here). */
    readonly nftTable: string;
    readonly zone: string;
    /** pebble-challtestsrv's management API. */
    readonly challtestsrvUrl: string;
    /** The token the API accepts: what HubAcmeToken would create, rendered into the apply bundle. */
    readonly token: string;
}

const ZONE_DNS_PORT = 8153;
const DNS_CHALLENGE = join(__dirname, "..", "cloud-init", "traefik", "dns-challenge.yaml");

export async function startAcmeDns01(options: AcmeDns01Options): Promise<Dns01World> {
    const world = await startDns01World({
        host: options.hostAddress, dnsPort: ZONE_DNS_PORT, zone: options.zone, challtestsrv: options.challtestsrvUrl, token: options.token,
    });
    try {
        const resolvers = (parse(readFileSync(DNS_CHALLENGE, "utf8")) as { resolvers: string[] }).resolvers;
        await check("nft", ["add", "chain", "ip", options.nftTable, "acme-resolvers", "{ type nat hook prerouting priority dstnat; policy accept; }"]);
        for (const resolver of resolvers) {
            const [address, port] = resolver.split(":");
            await check("nft", ["add", "rule", "ip", options.nftTable, "acme-resolvers", "iifname", `"${options.hostInterface}"`,
                "ip", "daddr", address, "udp", "dport", port, "dnat", "to", `${options.hostAddress}:${ZONE_DNS_PORT}`]);
        }
    } catch (err) {
        await world.close();
        throw err;
    }
    return world;
}

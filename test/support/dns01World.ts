/**
 * What DNS-01 through Cloudflare meets on the internet, on this host: Cloudflare's API (the
 * engine test's strict stand-in, which lego reaches through CLOUDFLARE_BASE_URL), the zone as
 * public resolvers answer it (zone-dns.ts, for lego's zone lookup and propagation check) and the
 * zone as the CA sees it (pebble asks pebble-challtestsrv, which gets every TXT record the API
 * holds, as Cloudflare's authoritative servers would).
 */
import { CloudflareStandIn, DnsRecord, startCloudflare } from "../engine/standIns/cloudflare";
import { startZoneDns, ZoneDns } from "./zoneDns";

export interface Dns01World {
    readonly cloudflare: CloudflareStandIn;
    readonly dns: ZoneDns;
    close(): Promise<void>;
}

export interface Dns01Options {
    readonly host: string;
    readonly dnsPort: number;
    readonly zone: string;
    /** pebble-challtestsrv's management API, such as http://10.213.57.1:8055. */
    readonly challtestsrv: string;
    /** The token the API accepts: what HubAcmeToken would create. */
    readonly token: string;
}

export async function startDns01World(options: Dns01Options): Promise<Dns01World> {
    // Cloudflare keeps a TXT record's quotes out of its content; lego sends them.
    const unquote = (content: string) => content.replace(/^"(.*)"$/, "$1");
    const txt = (records: ReadonlyMap<string, DnsRecord>, name: string) =>
        [...records.values()].filter((r) => r.type === "TXT" && r.name.toLowerCase() === name).map((r) => unquote(r.content));
    const published = new Set<string>();
    const cloudflare = await startCloudflare({
        token: options.token, zoneName: options.zone, host: options.host,
        onRecordsChanged: async (records) => {
            const names = new Set([...published, ...[...records.values()].filter((r) => r.type === "TXT").map((r) => r.name.toLowerCase())]);
            for (const name of names) {
                await challtestsrv(options.challtestsrv, "clear-txt", { host: `${name}.` });
                for (const value of txt(records, name)) await challtestsrv(options.challtestsrv, "set-txt", { host: `${name}.`, value });
                published.add(name);
            }
        },
    });
    let dns: ZoneDns;
    try {
        dns = await startZoneDns({ host: options.host, port: options.dnsPort, zone: options.zone, txt: (name) => txt(cloudflare.records, name) });
    } catch (err) {
        await cloudflare.close();
        throw err;
    }
    return { cloudflare, dns, close: async () => { await dns.close(); await cloudflare.close(); } };
}

async function challtestsrv(base: string, call: string, body: Record<string, string>): Promise<void> {
    const res = await fetch(`${base}/${call}`, { method: "POST", body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`pebble-challtestsrv /${call} answered ${res.status}`);
}

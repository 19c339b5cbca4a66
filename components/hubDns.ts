import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";

export interface HubDnsArgs {
    /** The Cloudflare zone the record lives in, such as example.edu; it must already exist. */
    readonly zoneName: pulumi.Input<string>;
    /** The hub's full host name, such as engr101.example.edu. */
    readonly hostname: pulumi.Input<string>;
    /**
     * The Droplet's public IPv4 address (A record). Undefined while the class is paused: no address
     * record then (the released address may go to anyone's Droplet next, which could then answer,
     * and get certificates, for the class's name), but a TXT record that keeps the name the class's.
     */
    readonly ipv4Address?: pulumi.Input<string>;
    /** The Droplet's public IPv6 address (AAAA record). Default: no AAAA record (a load balancer's IPv4 only). */
    readonly ipv6Address?: pulumi.Input<string>;
    /** Route the hub through Cloudflare's proxy. Default: false (see docs/configuration.md). */
    readonly proxied?: pulumi.Input<boolean>;
    /**
     * Also *.<hostname> to the same addresses, for the students' own origins (perStudentOrigins).
     * Default: false.
     */
    readonly wildcard?: boolean;
}

/** What the TXT record of a paused class says, to whoever looks the name up. */
export function pausedNotice(stack: string): string {
    return `"jupyterhub-classroom stack ${stack} is paused: pulumi config set paused false && pulumi up"`;
}

/** The hub's A and AAAA records in an existing Cloudflare zone; a TXT record while the class is paused. */
export class HubDns extends pulumi.ComponentResource {
    /** The zone's id, for the ACME token's scope. */
    readonly zoneId: pulumi.Output<string>;

    constructor(name: string, args: HubDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubDns", name, {}, opts);
        const zone = cloudflare.getZoneOutput({ filter: { name: args.zoneName } }, { parent: this });
        const record = (type: "A" | "AAAA" | "TXT", content: pulumi.Input<string>, prefix = "") => new cloudflare.DnsRecord(`${name}-${prefix ? "wildcard-" : ""}${type.toLowerCase()}`, {
            zoneId: zone.id,
            // The full name, not the label: Cloudflare's API answers with the full name, and the
            // provider (Terraform v5 based) shows a relative name as a change on every preview.
            name: pulumi.interpolate`${prefix}${args.hostname}`,
            type,
            content,
            // 1 is "automatic"; it is also the only TTL Cloudflare accepts on proxied records.
            ttl: 1,
            // Cloudflare's proxy carries web traffic only: a TXT record is never proxied.
            proxied: type === "TXT" ? false : args.proxied ?? false,
            comment: `jupyterhub-classroom stack ${pulumi.getStack()}`,
        }, { parent: this });
        if (args.ipv4Address === undefined) {
            record("TXT", pausedNotice(pulumi.getStack()));
        } else {
            record("A", args.ipv4Address);
            if (args.ipv6Address) record("AAAA", args.ipv6Address);
            if (args.wildcard) {
                record("A", args.ipv4Address, "*.");
                if (args.ipv6Address) record("AAAA", args.ipv6Address, "*.");
            }
        }
        this.zoneId = zone.id;
        this.registerOutputs({ zoneId: this.zoneId });
    }
}

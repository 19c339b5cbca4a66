import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";

export interface HubDnsArgs {
    /** The Cloudflare zone the record lives in, such as example.edu; it must already exist. */
    readonly zoneName: pulumi.Input<string>;
    /** The hub's full host name, such as engr101.example.edu. */
    readonly hostname: pulumi.Input<string>;
    /** The Droplet's public IPv4 address (A record). */
    readonly ipv4Address: pulumi.Input<string>;
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

/** The hub's A and AAAA records in an existing Cloudflare zone. */
export class HubDns extends pulumi.ComponentResource {
    /** The zone's id, for the ACME token's scope. */
    readonly zoneId: pulumi.Output<string>;

    constructor(name: string, args: HubDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubDns", name, {}, opts);
        const zone = cloudflare.getZoneOutput({ filter: { name: args.zoneName } }, { parent: this });
        const record = (type: "A" | "AAAA", content: pulumi.Input<string>, prefix = "") => new cloudflare.DnsRecord(`${name}-${prefix ? "wildcard-" : ""}${type.toLowerCase()}`, {
            zoneId: zone.id,
            // The full name, not the label: Cloudflare's API answers with the full name, and the
            // provider (Terraform v5 based) shows a relative name as a change on every preview.
            name: pulumi.interpolate`${prefix}${args.hostname}`,
            type,
            content,
            // 1 is "automatic"; it is also the only TTL Cloudflare accepts on proxied records.
            ttl: 1,
            proxied: args.proxied ?? false,
            comment: `jupyterhub-classroom stack ${pulumi.getStack()}`,
        }, { parent: this });
        record("A", args.ipv4Address);
        if (args.ipv6Address) record("AAAA", args.ipv6Address);
        if (args.wildcard) {
            record("A", args.ipv4Address, "*.");
            if (args.ipv6Address) record("AAAA", args.ipv6Address, "*.");
        }
        this.zoneId = zone.id;
        this.registerOutputs({ zoneId: this.zoneId });
    }
}

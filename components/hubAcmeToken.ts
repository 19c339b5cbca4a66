import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";

/**
 * Cloudflare's permission groups the ACME client needs, by their fixed ids
 * (https://developers.cloudflare.com/fundamentals/api/reference/permissions/): it looks the zone up
 * by name, then adds and removes the _acme-challenge TXT records.
 */
export const ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f";
export const DNS_WRITE = "4755a26eedb94da69e1066d98aa820be";

export interface HubAcmeTokenArgs {
    /** The id of the class's Cloudflare zone: the only resource the token may touch. */
    readonly zoneId: pulumi.Input<string>;
    /** The hub's full host name; it names the token in Cloudflare's dashboard. */
    readonly hostname: string;
}

/**
 * The Cloudflare API token Traefik's ACME client uses to answer DNS-01 challenges for the wildcard
 * certificate (perStudentOrigins): it can read the class's zone and edit that zone's DNS records,
 * nothing else. It reaches the server only in the apply bundle (secrets.json, root 0600), never in
 * user-data; the stack's own Cloudflare credentials stay on the instructor's machine.
 */
export class HubAcmeToken extends pulumi.ComponentResource {
    /** The token's value: secret. */
    readonly value: pulumi.Output<string>;

    constructor(name: string, args: HubAcmeTokenArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubAcmeToken", name, {}, opts);
        const token = new cloudflare.ApiToken(`${name}-acme-token`, {
            name: `jupyterhub-classroom ${pulumi.getStack()} ACME DNS-01 for ${args.hostname}`,
            policies: [{
                effect: "allow",
                permissionGroups: [{ id: ZONE_READ }, { id: DNS_WRITE }],
                resources: pulumi.output(args.zoneId).apply((zoneId) => JSON.stringify({ [`com.cloudflare.api.account.zone.${zoneId}`]: "*" })),
            }],
        }, { parent: this, additionalSecretOutputs: ["value"] });
        this.value = pulumi.secret(token.value);
        this.registerOutputs({ value: this.value });
    }
}

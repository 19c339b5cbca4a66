import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";

/**
 * Cloudflare's permission groups the ACME client needs, by their fixed ids
 * (https://developers.cloudflare.com/fundamentals/api/reference/permissions/): it looks the zone up
 * by name, then adds and removes the _acme-challenge TXT records.
 */
export const ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f";
export const DNS_WRITE = "4755a26eedb94da69e1066d98aa820be";

/** The scope of the two groups, as Cloudflare lists permission groups. */
const ZONE_SCOPE = "com.cloudflare.api.account.zone";

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
        // Asked at preview, before anything changes: credentials that cannot create API tokens
        // cannot list their permission groups either (both need API Tokens Read or Edit).
        const permissionGroups = pulumi.output(cloudflare.getApiTokenPermissionGroupsList({ scope: ZONE_SCOPE }, { parent: this })
            .then((listed) => acmePermissionGroups(listed.results.map((group) => group.id)), (err: unknown) => {
                throw tokenPermissionRefusal(err);
            }));
        const token = new cloudflare.ApiToken(`${name}-acme-token`, {
            name: `jupyterhub-classroom ${pulumi.getStack()} ACME DNS-01 for ${args.hostname}`,
            policies: [{
                effect: "allow",
                permissionGroups,
                resources: pulumi.output(args.zoneId).apply((zoneId) => JSON.stringify({ [`com.cloudflare.api.account.zone.${zoneId}`]: "*" })),
            }],
        }, { parent: this, additionalSecretOutputs: ["value"] });
        this.value = pulumi.secret(token.value);
        this.registerOutputs({ value: this.value });
    }
}

/** The token's permission groups, once Cloudflare has listed them to the stack's credentials. */
export function acmePermissionGroups(listed: readonly string[]): { id: string }[] {
    const missing = [ZONE_READ, DNS_WRITE].filter((id) => !listed.includes(id));
    if (missing.length) throw new pulumi.RunError(mayNotCreateTokens(`Cloudflare listed no permission group ${missing.join(" or ")} (Zone Read, DNS Write)`));
    return [{ id: ZONE_READ }, { id: DNS_WRITE }];
}

/** The error preview stops with when Cloudflare refuses to list the permission groups. */
export function tokenPermissionRefusal(err: unknown): pulumi.RunError {
    return new pulumi.RunError(mayNotCreateTokens(`Cloudflare refused to list API token permission groups (${errorText(err)})`));
}

function mayNotCreateTokens(why: string): string {
    return "perStudentOrigins: true (the default on the Droplet) creates a Cloudflare API token for the wildcard certificate, "
        + `but the stack's Cloudflare credentials (CLOUDFLARE_API_TOKEN) may not create API tokens: ${why}. `
        + "Fix: allow that token User → API Tokens → Edit in Cloudflare's dashboard (My Profile → API Tokens), "
        + "or keep one shared origin: pulumi config set perStudentOrigins false";
}

function errorText(err: unknown): string {
    return (err instanceof Error && err.message ? err.message : String(err)).split("\n")[0];
}

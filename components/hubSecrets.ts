import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { COOKIE_SECRET_BYTES, TRAEFIK_API_PASSWORD_LENGTH } from "../lib/bundle";

/**
 * The secrets the stack makes up itself. They are created once and kept in the stack's encrypted
 * state, so students stay logged in across `pulumi up`.
 */
export class HubSecrets extends pulumi.ComponentResource {
    /** JupyterHub's cookie secret: 64 hex characters. */
    readonly cookieSecret: pulumi.Output<string>;
    /** The password jupyterhub-traefik-proxy uses for Traefik's API on loopback. */
    readonly traefikApiPassword: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub-classroom:index:HubSecrets", name, {}, opts);
        const traefik = new random.RandomPassword(`${name}-traefik-api-password`, {
            length: TRAEFIK_API_PASSWORD_LENGTH,
            special: false,
        }, { parent: this });
        this.cookieSecret = cookieSecret(`${name}-cookie-secret`, { parent: this });
        this.traefikApiPassword = traefik.result;
        this.registerOutputs({ cookieSecret: this.cookieSecret, traefikApiPassword: this.traefikApiPassword });
    }
}

/**
 * JupyterHub's cookie secret, 64 hex digits, made once and kept in the stack's encrypted state: a
 * RandomPassword over the hex digits (the digits, and a-f as its "special" characters). Its resource
 * id is "none"; RandomBytes' and RandomId's ids are the secret itself, and Pulumi stores ids in
 * clear (docs/engine.md, What the real engine found).
 */
export function cookieSecret(name: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    return new random.RandomPassword(name, {
        length: 2 * COOKIE_SECRET_BYTES,
        lower: false,
        upper: false,
        numeric: true,
        special: true,
        overrideSpecial: "abcdef",
    }, opts).result;
}

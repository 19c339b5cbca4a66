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
        // RandomBytes, not RandomId: RandomId's hex output and its resource id are the secret
        // itself, stored and shown in plain text; RandomBytes marks its outputs secret. Its resource
        // id, though, is its base64, in clear in the state too (docs/engine.md, What the real engine found).
        const cookie = new random.RandomBytes(`${name}-cookie-secret`, { length: COOKIE_SECRET_BYTES }, { parent: this });
        const traefik = new random.RandomPassword(`${name}-traefik-api-password`, {
            length: TRAEFIK_API_PASSWORD_LENGTH,
            special: false,
        }, { parent: this });
        this.cookieSecret = cookie.hex;
        this.traefikApiPassword = traefik.result;
        this.registerOutputs({ cookieSecret: this.cookieSecret, traefikApiPassword: this.traefikApiPassword });
    }
}

import { createHash } from "node:crypto";
import { ClassConfig } from "./classConfig";
import { ApplyBundle, ClassSecrets, classSettings } from "./settings";

/** JupyterHub's cookie secret is 32 random bytes, written as 64 hex characters. */
export const COOKIE_SECRET_BYTES = 32;
/** Alphanumeric, so it needs no quoting in Traefik's or the hub's configuration. */
export const TRAEFIK_API_PASSWORD_LENGTH = 32;

/**
 * The one place the apply bundle is built: HubConfig sends it to `classroom-apply` on stdin and
 * `npm run render` writes the same bytes to apply-bundle.json, so what render shows is what the
 * server gets.
 */
export function applyBundleJson(cfg: ClassConfig, secrets: ClassSecrets): string {
    // Spelled out, so the bytes (and the trigger hash) never depend on the caller's key order.
    const { oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken, cloudflareDnsToken } = secrets;
    const bundle: ApplyBundle = {
        settings: classSettings(cfg),
        secrets: { oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken, cloudflareDnsToken },
    };
    return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** HubConfig's trigger: any change to the bundle's bytes re-applies it. */
export function bundleHash(bundleJson: string): string {
    return createHash("sha256").update(bundleJson).digest("hex");
}

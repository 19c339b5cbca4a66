import * as pulumi from "@pulumi/pulumi";
import { applyBundleJson } from "./applyBundle";
import { ClassConfig } from "./classConfig";
import { StackSecrets } from "./stackConfig";

/** The secrets the stack generates (HubSecrets). */
export interface GeneratedSecrets {
    readonly cookieSecret: pulumi.Output<string>;
    readonly traefikApiPassword: pulumi.Output<string>;
}

/** The apply bundle HubConfig sends, once every secret is known; secret, as its inputs are. */
export function stackBundleJson(cfg: ClassConfig, secrets: StackSecrets, generated: GeneratedSecrets): pulumi.Output<string> {
    return pulumi
        .all([secrets.oauthClientSecret, generated.cookieSecret, generated.traefikApiPassword, secrets.courseRepoToken])
        .apply(([oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken]) =>
            applyBundleJson(cfg, { oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken: courseRepoToken ?? null }));
}

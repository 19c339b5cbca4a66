import * as pulumi from "@pulumi/pulumi";
import { applyBundleJson } from "./applyBundle";
import { ClassConfig } from "./classConfig";
import { StackSecrets } from "./stackConfig";

/** The secrets the stack generates (HubSecrets). */
export interface GeneratedSecrets {
    readonly cookieSecret: pulumi.Output<string>;
    readonly traefikApiPassword: pulumi.Output<string>;
    /** HubAcmeToken's token, exactly when perStudentOrigins. */
    readonly cloudflareDnsToken?: pulumi.Output<string>;
}

/** The apply bundle HubConfig sends, once every secret is known; secret, as its inputs are. */
export function stackBundleJson(cfg: ClassConfig, secrets: StackSecrets, generated: GeneratedSecrets): pulumi.Output<string> {
    return pulumi
        .all([secrets.oauthClientSecret, generated.cookieSecret, generated.traefikApiPassword, secrets.courseRepoToken, generated.cloudflareDnsToken])
        .apply(([oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken, cloudflareDnsToken]) =>
            applyBundleJson(cfg, {
                oauthClientSecret, cookieSecret, traefikApiPassword,
                courseRepoToken: courseRepoToken ?? null, cloudflareDnsToken: cloudflareDnsToken ?? null,
            }));
}

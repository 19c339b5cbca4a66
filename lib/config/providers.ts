/**
 * The login providers, one table: what each one requires, what only it reads, and whether its
 * logins are e-mail addresses. Adding a provider is one entry here (and its key, if any, in
 * keys.ts) and one entry in the server's table (classroom_hub/authenticators.py PROVIDERS).
 */
export interface AuthProviderSpec {
    /** Keys that must be set with this provider. */
    readonly requires: readonly string[];
    /** A list key only this provider reads, and how to say so when another provider has it set. */
    readonly only?: { readonly key: string; readonly what: string };
    /** Whether the provider names people by an e-mail address (see identity.ts). */
    readonly emailLogins: (usernameClaim?: string) => boolean;
}

export const AUTH_PROVIDERS = {
    github: {
        requires: [],
        only: { key: "githubOrganizations", what: "GitHub organizations" },
        emailLogins: () => false,
    },
    google: {
        requires: [],
        only: { key: "googleHostedDomains", what: "hosted domains" },
        emailLogins: () => true,
    },
    oidc: {
        requires: ["oidcAuthorizeUrl", "oidcTokenUrl", "oidcUserdataUrl"],
        emailLogins: (usernameClaim) => usernameClaim === "email",
    },
} as const satisfies Record<string, AuthProviderSpec>;

export type AuthProviderName = keyof typeof AUTH_PROVIDERS;

export const AUTH_PROVIDER_NAMES = Object.keys(AUTH_PROVIDERS) as [AuthProviderName, ...AuthProviderName[]];

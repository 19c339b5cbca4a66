import { AUTH_PROVIDER_NAMES } from "./providers";
import { WEEKDAYS } from "./classSchedule";
import { RULES, TextRule, whole } from "./rules";

/**
 * The JSON Schemas of class.json and secrets.json (lib/bundle.ts ClassSettings and ClassSecrets),
 * built from the value rules of rules.ts. `npm run project-config` writes them to cloud-init/schema/,
 * a test keeps the committed files equal to these, and they travel to the server in the library
 * archive, where classroom_hub/settings.py validates with `jsonschema` against them: the server
 * has no shape or pattern of its own. Each `description` completes "expected …" in the server's
 * messages.
 */
type Schema = Record<string, unknown>;

const SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";
const GENERATED = "Generated from lib/config by `npm run project-config`; do not edit.";

const text = (rule: TextRule, description = rule.expected): Schema =>
    ({ type: "string", pattern: whole(rule.pattern), description });
const nullableText = (rule: TextRule): Schema => ({ ...text(rule), type: ["string", "null"] });
const list = (items: Schema, description?: string): Schema =>
    ({ type: "array", items, ...(description ? { description } : {}) });
/** An object with exactly these keys, every one of them required. */
const object = (properties: Record<string, Schema>, nullable = false): Schema => ({
    type: nullable ? ["object", "null"] : "object",
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
});
const when = (condition: Schema, then: Schema): Schema => ({ if: condition, then });
const provider = (...names: string[]): Schema => ({ properties: { provider: { enum: names } } });

/** The lists of roster entries (lib/config/identity.ts): students, instructors, teaching assistants. */
const ROSTER_LISTS = ["allowedUsers", "adminUsers", "teachingAssistants"];

const oidc = object({
    authorizeUrl: text(RULES.httpUrl),
    tokenUrl: text(RULES.httpUrl),
    userdataUrl: text(RULES.httpUrl),
    usernameClaim: text(RULES.claim),
    scopes: list(text(RULES.scope)),
}, true);

const auth: Schema = {
    ...object({
        provider: { enum: AUTH_PROVIDER_NAMES, description: `one of ${AUTH_PROVIDER_NAMES.join(", ")}` },
        clientId: text(RULES.oneLine, "the OAuth client id, on one line"),
        callbackUrl: text(RULES.httpsUrl),
        allowedUsers: list(text(RULES.rosterEntry)),
        adminUsers: list(text(RULES.rosterEntry)),
        teachingAssistants: list(text(RULES.rosterEntry)),
        githubOrganizations: list(text(RULES.githubOrganization)),
        googleHostedDomains: list(text(RULES.hostname, "a domain such as example.edu")),
        oidc,
    }),
    allOf: [
        when({ not: provider("github") }, { properties: { githubOrganizations: { maxItems: 0, description: "none unless auth.provider is github" } } }),
        when({ not: provider("google") }, { properties: { googleHostedDomains: { maxItems: 0, description: "none unless auth.provider is google" } } }),
        when(provider("oidc"), { properties: { oidc: { type: "object", description: "the OIDC endpoints when auth.provider is oidc" } } }),
        when({ not: provider("oidc") }, { properties: { oidc: { type: "null", description: "null unless auth.provider is oidc" } } }),
        // E-mail logins (identity.ts emailLogins): every roster entry a whole address.
        when({
            anyOf: [provider("google"), {
                properties: { provider: { const: "oidc" }, oidc: { properties: { usernameClaim: { const: "email" } } } },
            }],
        }, {
            properties: Object.fromEntries(ROSTER_LISTS.map((k) => [k, {
                items: text(RULES.emailAddress, "a whole e-mail address: with e-mail logins a bare name would admit it from any domain"),
            }])),
        }),
        when(provider("github"), {
            properties: Object.fromEntries(ROSTER_LISTS.map((k) => [k, {
                items: text(RULES.hubName, "a GitHub user name, which has no @"),
            }])),
        }),
        {
            description: "at least one user, organization or hosted domain; otherwise nobody can log in",
            anyOf: [...ROSTER_LISTS, "githubOrganizations", "googleHostedDomains"]
                .map((k) => ({ properties: { [k]: { minItems: 1 } } })),
        },
    ],
};

export function classSettingsSchema(): Schema {
    return {
        $schema: SCHEMA_DIALECT,
        $id: "class.schema.json",
        title: "class.json: the class settings of a jupyterhub-classroom server",
        $comment: GENERATED,
        ...object({
            version: { const: 1, description: "version 1" },
            hostname: text(RULES.hostname),
            auth,
            course: object({
                repositoryUrl: text(RULES.courseRepositoryUrl),
                branch: text(RULES.branch),
                directory: text(RULES.directory),
            }, true),
            coursePackages: list(text(RULES.requirement, "a pip requirement such as numpy==2.1.3")),
            sharedData: object({ directory: text(RULES.folderName) }, true),
            diskQuotaGb: { type: ["integer", "null"], minimum: 1, maximum: 16384, description: "1 to 16384 whole GiB, or null (no quota)" },
            limits: object({
                memory: text(RULES.memory),
                cpu: { type: "number", exclusiveMinimum: 0, maximum: 64, description: "more than 0 and at most 64 CPUs" },
                idleTimeoutSeconds: { type: "integer", minimum: 0, description: "0 (never cull) or more whole seconds" },
                concurrentSpawnLimit: { type: "integer", minimum: 0, description: "0 (derived from the vCPUs) or more, a whole number" },
            }),
            loginPage: object({
                title: text(RULES.title),
                logoUrl: nullableText(RULES.httpsUrl),
                primaryColor: text(RULES.color),
                announcement: nullableText(RULES.announcement),
                helpLinks: list(object({ text: text(RULES.linkText), url: text(RULES.httpUrl) })),
            }),
            homePage: object({ announcement: nullableText(RULES.announcement) }),
            perStudentOrigins: { type: "boolean", description: "true or false" },
            // Meetings arrive parsed (classSchedule.ts); the server only places them in time.
            classSchedule: object({
                timezone: text(RULES.timeZone),
                leadMinutes: { type: "integer", minimum: 0, maximum: 720, description: "0 to 720 whole minutes" },
                meetings: list(object({
                    days: { type: "array", items: { enum: WEEKDAYS }, minItems: 1, uniqueItems: true, description: `at least one day among ${WEEKDAYS.join(", ")}` },
                    start: text(RULES.clockTime),
                    end: text(RULES.clockTime),
                })),
                maxWarmServers: { type: ["integer", "null"], minimum: 0, description: "0 or more servers, or null (no limit)" },
            }),
            grading: object({ courseId: text(RULES.courseId) }, true),
        }),
        // Read by the server's user-name code (classroom_hub/usernames.py): the one hub-name pattern.
        $defs: { hubName: text(RULES.hubName) },
    };
}

export function classSecretsSchema(): Schema {
    return {
        $schema: SCHEMA_DIALECT,
        $id: "secrets.schema.json",
        title: "secrets.json: the secrets of a jupyterhub-classroom server (root only, 0600)",
        $comment: GENERATED,
        ...object({
            oauthClientSecret: text(RULES.oneLine, "the OAuth client secret, on one line"),
            cookieSecret: text(RULES.cookieSecret),
            traefikApiPassword: text(RULES.traefikApiPassword),
            // Goes into an HTTP header: no line breaks.
            courseRepoToken: nullableText({ ...RULES.oneLine, expected: "a token on one line" }),
            cloudflareDnsToken: nullableText(RULES.cloudflareToken),
        }),
        $defs: {
            /** {settings, secrets}: rules between the two files. */
            withSettings: {
                allOf: [
                    when(
                        { properties: { secrets: { properties: { courseRepoToken: { type: "string" } } } } },
                        {
                            properties: {
                                settings: {
                                    properties: {
                                        course: {
                                            properties: { repositoryUrl: { pattern: "^https://", description: "an https:// URL: the token is only ever sent over https" } },
                                        },
                                    },
                                },
                            },
                        },
                    ),
                    // Traefik's DNS-01 token is on the server exactly while it serves students' own origins.
                    ...[true, false].map((on) => when(
                        { properties: { settings: { properties: { perStudentOrigins: { const: on } } } } },
                        {
                            properties: {
                                secrets: {
                                    properties: {
                                        cloudflareDnsToken: { type: on ? "string" : "null", description: "a token exactly when perStudentOrigins is true" },
                                    },
                                },
                            },
                        },
                    )),
                ],
            },
        },
    };
}

/** The files under cloud-init/schema/, as `npm run project-config` writes them. */
export function schemaFiles(): Record<string, string> {
    const json = (schema: Schema) => `${JSON.stringify(schema, null, 2)}\n`;
    return { "class.schema.json": json(classSettingsSchema()), "secrets.schema.json": json(classSecretsSchema()) };
}

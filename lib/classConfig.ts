import { z } from "zod";
import { readFileSync } from "node:fs";
import { CONFIG_KEYS, ConfigKey, ConfigKeyName, SECRET_KEYS } from "./configKeys";
import { Meeting, memoryFit } from "./classSchedule";
import { parseRoster } from "./roster";

/** Stands in for a secret's value during validation: the validator only learns that it is set. */
export const SECRET_IS_SET = "(secret)";

type Raw = { [K in ConfigKeyName]: z.infer<(typeof CONFIG_KEYS)[K]["schema"]> };

export type AuthProvider = Raw["authProvider"];

/** The whole class, validated and normalized: what components and the renderer consume. */
export interface ClassConfig {
    readonly hostname: string;
    readonly dnsZone: string;
    /** The record's name relative to the zone ("engr101" for engr101.example.edu). */
    readonly dnsRecordName: string;
    readonly dnsProxied: boolean;
    readonly droplet: {
        readonly region: string;
        readonly size: string;
        readonly image: Raw["image"];
        readonly volumeSizeGb: number;
        readonly protectVolume: boolean;
    };
    readonly admin: { readonly user: string; readonly sshKeys: readonly string[] };
    readonly operations: { readonly healthCheckTimeoutMinutes: number; readonly archiveOnDestroy: boolean };
    readonly ssh: { readonly allowedCidrs: readonly string[]; readonly hasPrivateKey: boolean };
    readonly tls: { readonly email: string; readonly acmeDirectoryUrl: string };
    readonly auth: {
        readonly provider: AuthProvider;
        readonly clientId: string;
        readonly allowedUsers: readonly string[];
        readonly adminUsers: readonly string[];
        readonly githubOrganizations: readonly string[];
        readonly googleHostedDomains: readonly string[];
        readonly oidc?: {
            readonly authorizeUrl: string;
            readonly tokenUrl: string;
            readonly userdataUrl: string;
            readonly usernameClaim: string;
            readonly scopes: readonly string[];
        };
    };
    readonly course?: {
        readonly repositoryUrl: string;
        readonly branch: string;
        readonly directory: string;
        readonly hasToken: boolean;
    };
    readonly coursePackages: readonly string[];
    readonly limits: {
        readonly memory: string;
        readonly cpu: number;
        readonly idleTimeoutSeconds: number;
        /** 0: the server derives it from its vCPUs. */
        readonly concurrentSpawnLimit: number;
    };
    readonly loginPage: {
        readonly title: string;
        readonly logoUrl?: string;
        readonly primaryColor: string;
        readonly announcement?: string;
        readonly helpLinks: readonly { readonly text: string; readonly url: string }[];
    };
    readonly classSchedule: {
        readonly timezone: string;
        readonly leadMinutes: number;
        readonly meetings: readonly Meeting[];
        /** How many servers warming may run: what fits in dropletSize's memory (lib/classSchedule.ts). */
        readonly maxWarmServers?: number;
    };
    /** pulumi.log.warn these at preview: the class works, but not as well as it could. */
    readonly warnings: readonly string[];
}

export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** One problem with one key, phrased for the instructor who has to fix it. */
export interface ConfigProblem {
    readonly key: string;
    readonly message: string;
}

export class ClassConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(`The class config has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
            problems.map((p) => `  - ${p.message}`).join("\n"));
        this.name = "ClassConfigError";
    }
}

/** Rules between keys; each runs only when the keys it reads are valid on their own. */
function crossKeyRules(c: Partial<Raw>, add: (key: ConfigKeyName, expected: string) => void): void {
    if ("subdomain" in c && "hostname" in c && !c.subdomain && !c.hostname) {
        add("subdomain", "expected subdomain or hostname to be set");
    }
    if (c.dnsZone && c.hostname && !c.hostname.endsWith(`.${c.dnsZone}`)) {
        add("hostname", `expected a name inside the zone ${c.dnsZone} (such as class.${c.dnsZone})`);
    }
    if (c.dnsZone && c.hostname && c.subdomain && c.hostname !== `${c.subdomain}.${c.dnsZone}`) {
        add("subdomain", `expected subdomain to agree with hostname ${c.hostname}, or only one of them set`);
    }
    if (c.authProvider && c.authProvider !== "github" && c.githubOrganizations?.length) {
        add("githubOrganizations", "expected no GitHub organizations unless authProvider is github");
    }
    if (c.authProvider && c.authProvider !== "google" && c.googleHostedDomains?.length) {
        add("googleHostedDomains", "expected no hosted domains unless authProvider is google");
    }
    if (c.authProvider === "oidc") {
        for (const k of ["oidcAuthorizeUrl", "oidcTokenUrl", "oidcUserdataUrl"] as const) {
            if (k in c && !c[k]) add(k, "is required when authProvider is oidc");
        }
    }
    if (c.allowedUsers?.length === 0 && c.githubOrganizations?.length === 0 && c.googleHostedDomains?.length === 0) {
        add("allowedUsers", "expected at least one student: allowedUsers, githubOrganizations (github) or googleHostedDomains (google); otherwise nobody can log in");
    }
    if (c.courseRepoToken && "courseRepoUrl" in c && !c.courseRepoUrl?.startsWith("https://")) {
        add("courseRepoToken", "expected courseRepoUrl to be an https:// URL when a token is set");
    }
}

function show(key: string, raw: Record<string, unknown>): string {
    const value = raw[key];
    if (value === undefined) return "nothing";
    if (SECRET_KEYS.includes(key as ConfigKeyName)) return "a secret value";
    return JSON.stringify(value);
}

export function fixCommand(key: string): string {
    const spec = (CONFIG_KEYS as Record<string, ConfigKey>)[key];
    if (!spec) return `pulumi config rm ${key}`;
    if (spec.setArgs) return `pulumi config set ${spec.setArgs}`;
    if (spec.secret) return `pulumi config set --secret ${key} ${spec.example}`;
    if (spec.structured) return `pulumi config set --path '${key}[0]' ${spec.example}`;
    return `pulumi config set ${key} ${spec.example}`;
}

function problem(key: string, expected: string, raw: Record<string, unknown>, fix = fixCommand(key)): ConfigProblem {
    return { key, message: `${key}: got ${show(key, raw)}; ${expected}. Fix: ${fix}` };
}

function closest(key: string): string | undefined {
    const lower = key.toLowerCase();
    return Object.keys(CONFIG_KEYS).find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
}

/**
 * Validates the raw stack config (key → value, secrets replaced by SECRET_IS_SET) and returns the
 * class, or throws a ClassConfigError that lists every problem at once.
 */
export function parseClassConfig(
    raw: Record<string, unknown>,
    readRoster: (path: string) => string = (path) => readFileSync(path, "utf8"),
): ClassConfig {
    const problems: ConfigProblem[] = [];
    for (const key of Object.keys(raw)) {
        if (!(key in CONFIG_KEYS)) {
            const near = closest(key);
            problems.push({ key, message: `${key}: is not a setting of this stack${near ? ` (did you mean ${near}?)` : ""}. Fix: pulumi config rm ${key}` });
        }
    }
    const valid: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKeyName, ConfigKey][]) {
        const parsed = spec.schema.safeParse(raw[key]);
        if (parsed.success) {
            valid[key] = parsed.data;
            continue;
        }
        const issue = parsed.error.issues[0];
        const missing = raw[key] === undefined;
        const where = issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${p}`).join("");
        const text = missing ? `is required: ${spec.description.replace(/\.$/, "")}` : `${where ? `${key}${where} ` : ""}${issue.message}`;
        problems.push(problem(key, text, raw));
    }
    if (typeof valid.rosterFile === "string") {
        const fix = `edit ${valid.rosterFile}, or ${fixCommand("rosterFile")}`;
        mergeRoster(valid, readRoster, (expected) => problems.push(problem("rosterFile", expected, raw, fix)));
    }
    crossKeyRules(valid as Partial<Raw>, (key, expected) => problems.push(problem(key, expected, raw)));
    if (problems.length > 0) throw new ClassConfigError(problems);
    return toClassConfig(valid as Raw);
}

/** Adds the roster file's students and admins to the lists given in the stack config. */
function mergeRoster(valid: Record<string, unknown>, readRoster: (path: string) => string, add: (expected: string) => void): void {
    const path = valid.rosterFile as string;
    let text: string;
    try {
        text = readRoster(path);
    } catch (err) {
        add(`expected a readable file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
        return;
    }
    const { roster, problems } = parseRoster(text);
    for (const p of problems) add(`${path} ${p}`);
    if (Array.isArray(valid.allowedUsers)) valid.allowedUsers = [...valid.allowedUsers, ...roster.students];
    if (Array.isArray(valid.adminUsers)) valid.adminUsers = [...valid.adminUsers, ...roster.admins];
}

function toClassConfig(c: Raw): ClassConfig {
    const hostname = c.hostname ?? `${c.subdomain}.${c.dnsZone}`;
    const lower = (names: readonly string[]) => [...new Set(names.map((n) => n.toLowerCase()))];
    const admins = new Set(lower(c.adminUsers));
    const fit = memoryFit(c.dropletSize, c.memoryLimit, lower(c.allowedUsers).filter((u) => !admins.has(u)).length);
    return {
        hostname,
        dnsZone: c.dnsZone,
        dnsRecordName: hostname.slice(0, -(c.dnsZone.length + 1)),
        dnsProxied: c.dnsProxied,
        droplet: { region: c.region, size: c.dropletSize, image: c.image, volumeSizeGb: c.volumeSizeGb, protectVolume: c.protectVolume },
        admin: { user: c.adminUser, sshKeys: c.adminSshKeys },
        operations: { healthCheckTimeoutMinutes: c.healthCheckTimeoutMinutes, archiveOnDestroy: c.archiveOnDestroy },
        ssh: { allowedCidrs: c.sshAllowedCidrs, hasPrivateKey: c.sshPrivateKey !== undefined },
        tls: {
            email: c.letsEncryptEmail,
            acmeDirectoryUrl: c.acmeDirectoryUrl ?? (c.letsEncryptStaging ? LETS_ENCRYPT_STAGING : LETS_ENCRYPT),
        },
        auth: {
            provider: c.authProvider,
            clientId: c.oauthClientId,
            allowedUsers: lower(c.allowedUsers),
            adminUsers: lower(c.adminUsers),
            githubOrganizations: c.githubOrganizations,
            googleHostedDomains: c.googleHostedDomains,
            oidc: c.authProvider === "oidc" ? {
                authorizeUrl: c.oidcAuthorizeUrl!,
                tokenUrl: c.oidcTokenUrl!,
                userdataUrl: c.oidcUserdataUrl!,
                usernameClaim: c.oidcUsernameClaim,
                scopes: c.oidcScopes,
            } : undefined,
        },
        course: c.courseRepoUrl ? {
            repositoryUrl: c.courseRepoUrl,
            branch: c.courseRepoBranch,
            directory: c.courseDirectory,
            hasToken: c.courseRepoToken !== undefined,
        } : undefined,
        coursePackages: c.coursePackages,
        limits: {
            memory: c.memoryLimit,
            cpu: c.cpuLimit,
            idleTimeoutSeconds: c.idleTimeoutSeconds,
            concurrentSpawnLimit: c.concurrentSpawnLimit,
        },
        loginPage: {
            title: c.loginTitle,
            logoUrl: c.loginLogoUrl,
            primaryColor: c.loginPrimaryColor,
            announcement: c.loginAnnouncement,
            helpLinks: c.loginHelpLinks,
        },
        classSchedule: { timezone: c.timezone, leadMinutes: c.warmLeadMinutes, meetings: c.classSchedule, maxWarmServers: fit.maxServers },
        warnings: fit.warning ? [fit.warning] : [],
    };
}

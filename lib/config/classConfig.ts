import { z } from "zod";
import { readFileSync } from "node:fs";
import { CONFIG_KEYS, ConfigKey, ConfigKeyName, SECRET_KEYS } from "./keys";
import { Meeting, MemoryFit, memoryFit } from "./classSchedule";
import { emailLogins, rosterIdentityProblems } from "./identity";
import { AUTH_PROVIDERS, AuthProviderSpec } from "./providers";
import { asciiLower, matches, RULES, TextRule } from "./rules";
import { parseRoster, RosterLine } from "./roster";
import { KubernetesClass, kubernetesRules, toKubernetesClass } from "../../platforms/kubernetes/config";

/** Stands in for a secret's value during validation: the validator only learns that it is set. */
export const SECRET_IS_SET = "(secret)";

export type Raw = { [K in ConfigKeyName]: z.infer<(typeof CONFIG_KEYS)[K]["schema"]> };

export type AuthProvider = Raw["authProvider"];

/** The whole class, validated and normalized: what components and the renderer consume. */
export interface ClassConfig {
    readonly hostname: string;
    readonly dnsZone: string;
    readonly dnsProxied: boolean;
    readonly droplet: {
        readonly region: string;
        readonly size: string;
        readonly image: Raw["image"];
        readonly volumeSizeGb: number;
        /** Keep the students' volume when the stack deletes it (retainVolume, formerly protectVolume). */
        readonly retainVolume: boolean;
        /** Between terms: no Droplet; the volume, the stack's keys and the hostname stay. */
        readonly paused: boolean;
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
        readonly teachingAssistants: readonly string[];
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
    /** The folder staff write and students read, linked into every home as `directory`. */
    readonly sharedData?: { readonly directory: string };
    /** Each student's share of the volume, in GiB; undefined: no quota. */
    readonly diskQuotaGb?: number;
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
    readonly homePage: { readonly announcement?: string };
    readonly classSchedule: {
        readonly timezone: string;
        readonly leadMinutes: number;
        readonly meetings: readonly Meeting[];
        /** How many servers warming may run: what fits in dropletSize's memory (classSchedule.ts); undefined: all. */
        readonly maxWarmServers?: number;
    };
    /** Where the class runs; `kubernetes` is set exactly when platform is kubernetes. */
    readonly platform: Raw["platform"];
    readonly kubernetes?: KubernetesClass;
    /** Each student's server at https://<user>.<hostname>/ with a wildcard certificate (DNS-01). */
    readonly perStudentOrigins: boolean;
    /** Assignments with nbgrader (grading: nbgrader); undefined: none. */
    readonly grading?: { readonly courseId: string };
}

export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** One problem with one key, phrased for the instructor who has to fix it. */
export interface ConfigProblem {
    readonly key: string;
    /** Where in the key's value, such as allowedUsers[7] or loginHelpLinks[0].url; the key itself when it is all of it. */
    readonly path: string;
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
function crossKeyRules(c: Partial<Raw>, add: (key: ConfigKeyName, expected: string, fix?: string) => void): void {
    if ("subdomain" in c && "hostname" in c && !c.subdomain && !c.hostname) {
        add("subdomain", "expected subdomain or hostname to be set");
    }
    if (c.dnsZone && c.hostname && !c.hostname.endsWith(`.${c.dnsZone}`)) {
        add("hostname", `expected a name inside the zone ${c.dnsZone} (such as class.${c.dnsZone})`);
    }
    if (c.dnsZone && c.hostname && c.subdomain && c.hostname !== `${c.subdomain}.${c.dnsZone}`) {
        add("subdomain", `expected subdomain to agree with hostname ${c.hostname}, or only one of them set`);
    }
    for (const [name, spec] of Object.entries(AUTH_PROVIDERS) as [string, AuthProviderSpec][]) {
        const only = spec.only?.key as ConfigKeyName | undefined;
        if (c.authProvider && c.authProvider !== name && only && (c[only] as unknown[] | undefined)?.length) {
            add(only, `expected no ${spec.only!.what} unless authProvider is ${name}`);
        }
        if (c.authProvider !== name) continue;
        for (const k of spec.requires as ConfigKeyName[]) {
            if (k in c && !c[k]) add(k, `is required when authProvider is ${name}`);
        }
    }
    if (c.allowedUsers?.length === 0 && c.githubOrganizations?.length === 0 && c.googleHostedDomains?.length === 0) {
        add("allowedUsers", "expected at least one student: allowedUsers, githubOrganizations (github) or googleHostedDomains (google); otherwise nobody can log in");
    }
    if (c.perStudentOrigins && c.dnsProxied) {
        add("dnsProxied", "expected false when perStudentOrigins is true: Cloudflare's proxy has no edge certificate for *.<hostname> (a name two levels below the zone)");
    }
    if (c.courseRepoToken && "courseRepoUrl" in c && !c.courseRepoUrl?.startsWith("https://")) {
        add("courseRepoToken", "expected courseRepoUrl to be an https:// URL when a token is set");
    }
    for (const k of ["oidcAuthorizeUrl", "oidcTokenUrl", "oidcUserdataUrl", "courseRepoUrl"] as const) {
        const url = c[k];
        if (c.insecureHttpHosts && url?.startsWith("http://") && !c.insecureHttpHosts.includes(new URL(url).hostname)) {
            add(k, `expected an https:// URL: plain http lets anyone on the path read and change what travels; for a host on a trusted network (a lab's own git server) add ${new URL(url).hostname} to insecureHttpHosts`);
        }
    }
    if (c.rosterEmailDomain && c.authProvider && !emailLogins(c.authProvider, c.oidcUsernameClaim)) {
        add("rosterEmailDomain", "expected it only with e-mail logins (google, or oidc with oidcUsernameClaim email)");
    }
    if (c.courseId !== undefined && c.grading === "none") {
        add("courseId", "expected no courseId unless grading is nbgrader", "pulumi config set grading nbgrader, or pulumi config rm courseId");
    }
    if (c.grading === "nbgrader" && c.platform === "kubernetes") {
        add("grading", "expected none when platform is kubernetes: nbgrader's exchange is a directory every student's server shares, which only the Droplet has", "pulumi config rm grading");
    }
    if (c.sharedData && c.courseDirectory && c.courseDirectory.split("/")[0] === c.sharedData) {
        add("sharedData", `expected a name other than courseDirectory's ${c.courseDirectory}: both are folders in every student's home`, "pulumi config set sharedData datasets");
    }
    if (c.diskQuotaGb && c.volumeSizeGb && c.diskQuotaGb > c.volumeSizeGb) {
        add("diskQuotaGb", `expected at most volumeSizeGb (${c.volumeSizeGb} GiB): a student cannot use more than the whole volume`);
    }
    if (c.retainVolume !== undefined && c.protectVolume !== undefined) {
        add("protectVolume", "expected only retainVolume, its new name (pulumi config rm protectVolume)");
    }
    kubernetesRules(c, add);
}

function show(value: unknown, key: string): string {
    if (value === undefined) return "nothing";
    if (SECRET_KEYS.includes(key as ConfigKeyName)) return "a secret value";
    return JSON.stringify(value);
}

/** `pulumi config set …` for a key, or for one item of a list (where: "[7]", "[0].url"). */
export function fixCommand(key: string, where = ""): string {
    const spec = (CONFIG_KEYS as Record<string, ConfigKey>)[key];
    if (!spec) return `pulumi config rm ${key}`;
    if (spec.secret) return `pulumi config set --secret ${key} ${spec.example}`;
    if (spec.structured && where) {
        const example = where.endsWith(".text") ? "'Course page'" : spec.example;
        return `pulumi config set --path '${key}${where}' ${example}`;
    }
    if (spec.setArgs) return `pulumi config set ${spec.setArgs}`;
    if (spec.structured) return `pulumi config set --path '${key}[0]' ${spec.example}`;
    return `pulumi config set ${key} ${spec.example}`;
}

/** The value at a path inside a key's value, for "got …": the one wrong item, not the whole list. */
function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
    let value = raw;
    if (typeof value === "string" && path.length > 0) {
        try { value = JSON.parse(value); } catch { return raw; }
    }
    for (const step of path) {
        if (value === null || typeof value !== "object") return undefined;
        value = (value as Record<string | number, unknown>)[step];
    }
    return value;
}

function problem(key: string, expected: string, raw: Record<string, unknown>,
    options: { where?: string; got?: unknown; fix?: string } = {}): ConfigProblem {
    const where = options.where ?? "";
    const got = "got" in options ? options.got : raw[key];
    const path = `${key}${where}`;
    return { key, path, message: `${path}: got ${show(got, key)}; ${expected}. Fix: ${options.fix ?? fixCommand(key, where)}` };
}

function closest(key: string): string | undefined {
    const lower = key.toLowerCase();
    return Object.keys(CONFIG_KEYS).find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
}

/** The items of a list as given, lower-cased, each undefined where it breaks the rule. */
function validItems(value: unknown, rule: TextRule): (string | undefined)[] {
    const items = valueAt(value, []);
    const list = typeof items === "string" ? (() => { try { return JSON.parse(items) as unknown; } catch { return []; } })() : items;
    return Array.isArray(list)
        ? list.map((item) => typeof item === "string" && matches(rule, asciiLower(item)) ? asciiLower(item) : undefined)
        : [];
}

/** Where each roster entry came from, so a problem names the config item or the file's line. */
type RosterKey = "allowedUsers" | "adminUsers" | "teachingAssistants";
type Origin = { readonly key: RosterKey; readonly index: number } | { readonly line: RosterLine };

/**
 * Validates the raw stack config (key → value, secrets replaced by SECRET_IS_SET) and returns the
 * class, or throws a ClassConfigError that lists every problem at once, each at its own place
 * (allowedUsers[7], not allowedUsers). `warn` hears about deprecated keys still in use and a roster
 * too big for the Droplet's memory.
 */
export function parseClassConfig(
    raw: Record<string, unknown>,
    readRoster: (path: string) => string = (path) => readFileSync(path, "utf8"),
    warn: (message: string) => void = () => {},
): ClassConfig {
    const problems: ConfigProblem[] = [];
    for (const key of Object.keys(raw)) {
        if (!(key in CONFIG_KEYS)) {
            const near = closest(key);
            problems.push({ key, path: key, message: `${key}: is not a setting of this stack${near ? ` (did you mean ${near}?)` : ""}. Fix: pulumi config rm ${key}` });
        }
    }
    const valid: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKeyName, ConfigKey][]) {
        if (spec.deprecatedFor && raw[key] !== undefined) {
            warn(`${key} is deprecated and will stop working in the next release: it is now called ${spec.deprecatedFor}. ` +
                `Run: pulumi config set ${spec.deprecatedFor} ${JSON.stringify(String(raw[key]))} && pulumi config rm ${key}`);
        }
        const parsed = spec.schema.safeParse(raw[key]);
        if (parsed.success) {
            valid[key] = parsed.data;
            continue;
        }
        if (raw[key] === undefined) {
            problems.push(problem(key, `is required: ${spec.description.replace(/\.$/, "")}`, raw));
            continue;
        }
        // Every issue, each at its own place; one line per place.
        const seen = new Set<string>();
        for (const issue of parsed.error.issues) {
            const where = issue.path.map((p) => typeof p === "number" ? `[${p}]` : `.${p}`).join("");
            if (seen.has(where)) continue;
            seen.add(where);
            problems.push(problem(key, issue.message, raw, { where, got: where ? valueAt(raw[key], issue.path) : raw[key] }));
        }
    }
    const origin = (key: RosterKey): Origin[] => Array.isArray(valid[key]) ? valid[key].map((_, index) => ({ key, index })) : [];
    const origins: Record<RosterKey, Origin[]> = {
        allowedUsers: origin("allowedUsers"), adminUsers: origin("adminUsers"), teachingAssistants: origin("teachingAssistants"),
    };
    if (typeof valid.rosterFile === "string") {
        const fix = `edit ${valid.rosterFile}, or ${fixCommand("rosterFile")}`;
        mergeRoster(valid, origins, readRoster, (expected) => problems.push(problem("rosterFile", expected, raw, { fix })));
    }
    crossKeyRules(valid as Partial<Raw>, (key, expected, fix) => problems.push(problem(key, expected, raw, { fix })));
    identityRules(valid as Partial<Raw>, origins, raw, problems);
    if (problems.length > 0) throw new ClassConfigError(problems);
    return toClassConfig(valid as Raw, warn);
}

/** Adds the roster file's students, instructors and teaching assistants to the lists given in the stack config. */
function mergeRoster(valid: Record<string, unknown>, origins: Record<RosterKey, Origin[]>,
    readRoster: (path: string) => string, add: (expected: string) => void): void {
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
    for (const [key, lines] of [["allowedUsers", roster.students], ["adminUsers", roster.admins], ["teachingAssistants", roster.teachingAssistants]] as const) {
        if (!Array.isArray(valid[key])) continue;
        valid[key] = [...(valid[key] as string[]), ...lines.map((l) => l.name)];
        origins[key].push(...lines.map((line) => ({ line })));
    }
}

/**
 * Completes bare roster names with rosterEmailDomain (e-mail logins only), then applies the
 * identity rules (identity.ts), each problem naming the config item or the roster file's line.
 */
function identityRules(c: Partial<Raw>, origins: Record<RosterKey, Origin[]>,
    raw: Record<string, unknown>, problems: ConfigProblem[]): void {
    if (!c.authProvider) return;
    const byEmail = emailLogins(c.authProvider, c.oidcUsernameClaim);
    const complete = (entry: string) => byEmail && c.rosterEmailDomain && !entry.includes("@") ? `${entry}@${c.rosterEmailDomain}` : entry;
    if (c.allowedUsers) c.allowedUsers = c.allowedUsers.map(complete);
    if (c.adminUsers) c.adminUsers = c.adminUsers.map(complete);
    if (c.teachingAssistants) c.teachingAssistants = c.teachingAssistants.map(complete);
    // A list with a bad entry still has its other entries checked, each at its own index.
    const entries = (key: RosterKey) => c[key] ?? validItems(raw[key], RULES.rosterEntry).map((e) => e && complete(e));
    const found = rosterIdentityProblems({
        provider: c.authProvider,
        usernameClaim: c.oidcUsernameClaim,
        allowedUsers: entries("allowedUsers"),
        adminUsers: entries("adminUsers"),
        teachingAssistants: entries("teachingAssistants"),
        googleHostedDomains: c.googleHostedDomains ?? validItems(raw.googleHostedDomains, RULES.hostname),
    });
    for (const p of found) {
        if (p.list === "googleHostedDomains") {
            problems.push(problem(p.list, p.expected, raw, { where: `[${p.index}]`, got: valueAt(raw.googleHostedDomains, [p.index]) }));
            continue;
        }
        const entry = entries(p.list)[p.index]!;
        const origin: Origin = origins[p.list][p.index] ?? { key: p.list, index: p.index };
        const example = entry.includes("@") ? entry.replace(/@.*/, "@example.edu") : `${entry}@${c.rosterEmailDomain ?? "example.edu"}`;
        if ("line" in origin) {
            problems.push(problem("rosterFile", `${c.rosterFile} line ${origin.line.lineNo}: ${JSON.stringify(entry)}: ${p.expected}`, raw,
                { fix: `edit ${c.rosterFile} line ${origin.line.lineNo} (such as ${example})` }));
        } else {
            const where = `[${origin.index}]`;
            problems.push(problem(p.list, p.expected, raw, {
                where, got: entry, fix: p.fix ?? `pulumi config set --path '${p.list}${where}' ${example}` +
                    (byEmail && !entry.includes("@") ? `, or pulumi config set rosterEmailDomain example.edu` : ""),
            }));
        }
    }
}

function toClassConfig(c: Raw, warn: (message: string) => void): ClassConfig {
    const hostname = c.hostname ?? `${c.subdomain}.${c.dnsZone}`;
    const unique = (names: readonly string[]) => [...new Set(names)];
    const staff = new Set([...c.adminUsers, ...c.teachingAssistants]);
    // The Droplet's memory holds every student's server; on kubernetes the autoscaler adds nodes.
    const fit: MemoryFit = c.platform === "droplet"
        ? memoryFit(c.dropletSize, c.memoryLimit, unique(c.allowedUsers).filter((u) => !staff.has(u)).length)
        : {};
    if (fit.warning) warn(fit.warning);
    return {
        hostname,
        dnsZone: c.dnsZone,
        dnsProxied: c.dnsProxied,
        droplet: { region: c.region, size: c.dropletSize, image: c.image, volumeSizeGb: c.volumeSizeGb,
            retainVolume: c.retainVolume ?? c.protectVolume ?? true,
            paused: c.paused,
        },
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
            allowedUsers: unique(c.allowedUsers),
            adminUsers: unique(c.adminUsers),
            teachingAssistants: unique(c.teachingAssistants),
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
        sharedData: c.sharedData ? { directory: c.sharedData } : undefined,
        diskQuotaGb: c.diskQuotaGb,
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
        homePage: { announcement: c.homeAnnouncement },
        classSchedule: { timezone: c.timezone, leadMinutes: c.warmLeadMinutes, meetings: c.classSchedule, maxWarmServers: fit.maxServers },
        platform: c.platform,
        kubernetes: c.platform === "kubernetes" ? toKubernetesClass(c) : undefined,
        // One origin per student unless the key says otherwise; Cloudflare's proxy cannot serve them.
        perStudentOrigins: c.perStudentOrigins ?? (c.platform === "droplet" && !c.dnsProxied),
        grading: c.grading === "nbgrader" ? { courseId: c.courseId ?? hostname.split(".")[0]! } : undefined,
    };
}

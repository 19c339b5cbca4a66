import { ClassConfig } from "./classConfig";

/**
 * The class settings file, /etc/jupyterhub-classroom/class.json: everything the hub reads that an
 * instructor may change during the term. HubConfig writes it over SSH, never through user-data,
 * so changing it never replaces the Droplet. The Python side (classroom_hub.settings) reads
 * exactly this shape; `version` lets it refuse a file it does not understand.
 */
export interface ClassSettings {
    readonly version: 1;
    readonly hostname: string;
    readonly auth: {
        readonly provider: ClassConfig["auth"]["provider"];
        readonly clientId: string;
        readonly callbackUrl: string;
        readonly allowedUsers: readonly string[];
        readonly adminUsers: readonly string[];
        readonly githubOrganizations: readonly string[];
        readonly googleHostedDomains: readonly string[];
        readonly oidc: ClassConfig["auth"]["oidc"] | null;
    };
    readonly course: {
        readonly repositoryUrl: string;
        readonly branch: string;
        readonly directory: string;
    } | null;
    readonly coursePackages: readonly string[];
    readonly limits: ClassConfig["limits"];
    readonly loginPage: {
        readonly title: string;
        readonly logoUrl: string | null;
        readonly primaryColor: string;
        readonly announcement: string | null;
        readonly helpLinks: readonly { readonly text: string; readonly url: string }[];
    };
    readonly classSchedule: Omit<ClassConfig["classSchedule"], "maxWarmServers"> & { readonly maxWarmServers: number | null };
}

/**
 * The secrets file, /etc/jupyterhub-classroom/secrets.json (root only, 0600). Written over SSH
 * through stdin; no value here is ever put in user-data, a command line or a log.
 */
export interface ClassSecrets {
    readonly oauthClientSecret: string;
    /** 64 hex characters (32 bytes), JupyterHub's cookie secret. */
    readonly cookieSecret: string;
    /** The password jupyterhub-traefik-proxy uses for Traefik's API on loopback. */
    readonly traefikApiPassword: string;
    readonly courseRepoToken: string | null;
}

/** What HubConfig sends on stdin to `sudo classroom-apply` on the server. */
export interface ApplyBundle {
    readonly settings: ClassSettings;
    readonly secrets: ClassSecrets;
}

export function classSettings(cfg: ClassConfig): ClassSettings {
    const { auth, course, loginPage } = cfg;
    return {
        version: 1,
        hostname: cfg.hostname,
        auth: {
            provider: auth.provider,
            clientId: auth.clientId,
            callbackUrl: oauthCallbackUrl(cfg.hostname),
            allowedUsers: auth.allowedUsers,
            adminUsers: auth.adminUsers,
            githubOrganizations: auth.githubOrganizations,
            googleHostedDomains: auth.googleHostedDomains,
            oidc: auth.oidc ?? null,
        },
        course: course ? { repositoryUrl: course.repositoryUrl, branch: course.branch, directory: course.directory } : null,
        coursePackages: cfg.coursePackages,
        limits: cfg.limits,
        loginPage: {
            title: loginPage.title,
            logoUrl: loginPage.logoUrl ?? null,
            primaryColor: loginPage.primaryColor,
            announcement: loginPage.announcement ?? null,
            helpLinks: loginPage.helpLinks,
        },
        classSchedule: { ...cfg.classSchedule, maxWarmServers: cfg.classSchedule.maxWarmServers ?? null },
    };
}

export function oauthCallbackUrl(hostname: string): string {
    return `https://${hostname}/hub/oauth_callback`;
}

import { createHash } from "node:crypto";
import { ClassConfig } from "./config/classConfig";

/**
 * The bundle: what the stack sends to the server's `classroom-apply`, the class settings and the
 * secrets. HubSettings sends it over SSH; `npm run render` writes the same bytes to
 * apply-bundle.json, so what render shows is what the server gets.
 *
 * The class settings file, /etc/jupyterhub-classroom/class.json: everything the hub reads that an
 * instructor may change during the term. HubSettings writes it over SSH, never through user-data,
 * so changing it never replaces the Droplet. Its JSON Schema, generated from lib/config
 * (jsonSchema.ts) into cloud-init/schema/, is what the server checks it with; `version` lets the
 * server refuse a file it does not understand.
 */
export interface ClassSettings {
    readonly version: 1;
    readonly hostname: string;
    /** The stack's login settings as they are, with the OAuth callback made from the hostname and JSON's null. */
    readonly auth: Pick<ClassConfig["auth"], "provider" | "clientId" | "allowedUsers" | "adminUsers" | "teachingAssistants"
        | "githubOrganizations" | "googleHostedDomains"> & {
        readonly callbackUrl: string;
        readonly oidc: ClassConfig["auth"]["oidc"] | null;
    };
    readonly course: {
        readonly repositoryUrl: string;
        readonly branch: string;
        readonly directory: string;
    } | null;
    readonly coursePackages: readonly string[];
    /**
     * The shared folder: on the volume at /srv/classroom/shared, course staff write it, students
     * read it, through a link named `directory` in every home. null: none.
     */
    readonly sharedData: { readonly directory: string } | null;
    /** Each student's quota on the students' volume, in GiB (kernel quotas). null: none. */
    readonly diskQuotaGb: number | null;
    readonly limits: ClassConfig["limits"];
    readonly loginPage: {
        readonly title: string;
        readonly logoUrl: string | null;
        readonly primaryColor: string;
        readonly announcement: string | null;
        readonly helpLinks: readonly { readonly text: string; readonly url: string }[];
    };
    /** The hub's home page, which everyone sees once logged in. */
    readonly homePage: { readonly announcement: string | null };
    /** JupyterHub's subdomain_host is https://<hostname>: each student's server on its own origin. */
    readonly perStudentOrigins: boolean;
    readonly classSchedule: Omit<ClassConfig["classSchedule"], "maxWarmServers"> & { readonly maxWarmServers: number | null };
    /** Assignments with nbgrader (classroom_hub/grading.py); null: the class does not grade with it. */
    readonly grading: { readonly courseId: string } | null;
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
    /** Exactly when perStudentOrigins: the Cloudflare API token Traefik's ACME client uses for DNS-01. */
    readonly cloudflareDnsToken: string | null;
}

/** What HubSettings sends on stdin to `sudo classroom-apply` on the server. */
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
            teachingAssistants: auth.teachingAssistants,
            githubOrganizations: auth.githubOrganizations,
            googleHostedDomains: auth.googleHostedDomains,
            oidc: auth.oidc ?? null,
        },
        course: course ? { repositoryUrl: course.repositoryUrl, branch: course.branch, directory: course.directory } : null,
        coursePackages: cfg.coursePackages,
        sharedData: cfg.sharedData ? { directory: cfg.sharedData.directory } : null,
        diskQuotaGb: cfg.diskQuotaGb ?? null,
        limits: cfg.limits,
        loginPage: {
            title: loginPage.title,
            logoUrl: loginPage.logoUrl ?? null,
            primaryColor: loginPage.primaryColor,
            announcement: loginPage.announcement ?? null,
            helpLinks: loginPage.helpLinks,
        },
        homePage: { announcement: cfg.homePage.announcement ?? null },
        perStudentOrigins: cfg.perStudentOrigins,
        classSchedule: { ...cfg.classSchedule, maxWarmServers: cfg.classSchedule.maxWarmServers ?? null },
        grading: cfg.grading ? { courseId: cfg.grading.courseId } : null,
    };
}

export function oauthCallbackUrl(hostname: string): string {
    return `https://${hostname}/hub/oauth_callback`;
}

/** JupyterHub's cookie secret is 32 random bytes, written as 64 hex characters. */
export const COOKIE_SECRET_BYTES = 32;
/** Alphanumeric, so it needs no quoting in Traefik's or the hub's configuration. */
export const TRAEFIK_API_PASSWORD_LENGTH = 32;

/** The bundle's bytes, the one place they are made. */
export function applyBundleJson(settings: ClassSettings, secrets: ClassSecrets): string {
    // Spelled out, so the bytes (and the trigger hash) never depend on the caller's key order.
    const { oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken, cloudflareDnsToken } = secrets;
    const bundle: ApplyBundle = {
        settings,
        secrets: { oauthClientSecret, cookieSecret, traefikApiPassword, courseRepoToken, cloudflareDnsToken },
    };
    return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** HubSettings' trigger: any change to the bundle's bytes re-applies it. */
export function bundleHash(bundleJson: string): string {
    return createHash("sha256").update(bundleJson).digest("hex");
}

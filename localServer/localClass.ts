import { randomBytes } from "node:crypto";
import { ClassConfig } from "../lib/config/classConfig";
import { CONFIG_NAMESPACE } from "../lib/config/stack";
import { notebook } from "./git-server";
import { TestUser } from "./oidc-provider";

/**
 * A class as `npm run local` boots it: the stack's own config, with the few keys that name the
 * outside world (identity provider, ACME CA, course repository) pointed at their local stand-ins
 * on this host's end of network.sh's network (ClassServer checks the addresses).
 */

const HOST_ADDRESS = "10.213.57.1";
const OIDC = `http://${HOST_ADDRESS}:9080`;
const ACME_DIRECTORY = `https://${HOST_ADDRESS}:14000/dir`;
const STAND_IN_COURSE_URL = `http://${HOST_ADDRESS}:9418/course.git`;
/** The one test student when the class admits students by GitHub organization or Google domain only. */
const STAND_IN_STUDENT = "student";

export interface TestLogin extends TestUser {
    readonly admin: boolean;
}

/** Where the course comes from locally: the configured repository, or a stand-in (and why). */
export type LocalCourse = { readonly kind: "none" | "configured" } | { readonly kind: "stand-in"; readonly reason: string };

export interface LocalClass {
    /** Applied to the stack's config before the render. */
    readonly change: (config: Record<string, unknown>) => void;
    /** The local OIDC provider's accounts: the roster's students, admins and TAs, each with a one-time password. */
    readonly logins: readonly TestLogin[];
    /** The stand-in course repository's files, when there is one. */
    readonly courseFiles?: Readonly<Record<string, string>>;
    /** What differs from the class on a Droplet, one sentence each. */
    readonly differences: readonly string[];
}

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

export function localClass(cfg: ClassConfig, course: LocalCourse): LocalClass {
    const { auth } = cfg;
    const students = auth.allowedUsers.length > 0 ? auth.allowedUsers : [STAND_IN_STUDENT];
    const logins: TestLogin[] = [
        ...students.map((name) => testLogin(name, cfg.dnsZone, false)),
        ...auth.adminUsers.map((name) => testLogin(name, cfg.dnsZone, true)),
        ...auth.teachingAssistants.map((name) => testLogin(name, cfg.dnsZone, false)),
    ];
    const provider = auth.provider === "oidc" ? `its OpenID Connect provider (${new URL(auth.oidc!.authorizeUrl).host})` : auth.provider === "github" ? "GitHub" : "Google";
    const differences = [
        `identity provider: the class signs in with ${provider}, which cannot call back to this machine; a local OpenID Connect provider stands in, with the roster's names as test logins`,
        `certificate authority: the certificate comes from a local ACME CA (pebble), not ${cfg.tls.acmeDirectoryUrl}`,
        `DNS: ${cfg.hostname} points at the local server only where you say so (a hosts-file line or a browser flag), not in public DNS`,
        `server: a Debian 12 container (systemd-nspawn) with a 1 GB students' volume, not a ${cfg.droplet.size} Droplet running ${cfg.droplet.image}`,
        "cloud: DigitalOcean's and Cloudflare's APIs are local stand-ins, and the engine's digitalocean, cloudflare and command plugins are test providers written from the real ones' schemas (docs/engine.md); the stack's state lasts this run",
    ];
    if (auth.allowedUsers.length === 0) {
        differences.push(`roster: the class admits students by ${auth.githubOrganizations.length ? "GitHub organization" : "Google domain"} only; one test student, "${STAND_IN_STUDENT}", stands in for them`);
    } else if (auth.githubOrganizations.length || auth.googleHostedDomains.length) {
        differences.push("roster: only the roster's names are test logins, not the members of the class's GitHub organizations or Google domains");
    }
    if (course.kind === "stand-in") {
        differences.push(`course: ${cfg.course!.repositoryUrl} is not used (${course.reason}); a local stand-in repository with a notebook is, said in its README`);
    }

    const change = (config: Record<string, unknown>): void => {
        for (const name of ["githubOrganizations", "googleHostedDomains", "rosterFile", "letsEncryptStaging", "oidcScopes"]) {
            delete config[key(name)];
        }
        config[key("authProvider")] = "oidc";
        config[key("oidcAuthorizeUrl")] = `${OIDC}/authorize`;
        config[key("oidcTokenUrl")] = `${OIDC}/token`;
        config[key("oidcUserdataUrl")] = `${OIDC}/userinfo`;
        // The provider's preferred_username is the roster's entry as written, an e-mail address or a name.
        config[key("oidcUsernameClaim")] = "preferred_username";
        config[key("acmeDirectoryUrl")] = ACME_DIRECTORY;
        // The local stand-ins speak plain http on the local server's own network.
        const insecure = config[key("insecureHttpHosts")];
        config[key("insecureHttpHosts")] = [...new Set([...(Array.isArray(insecure) ? insecure : []), HOST_ADDRESS])];
        // The roster file's names are merged in: the rendered copy of the stack lives elsewhere.
        config[key("allowedUsers")] = [...students];
        config[key("adminUsers")] = [...auth.adminUsers];
        config[key("teachingAssistants")] = [...auth.teachingAssistants];
        if (course.kind === "stand-in") {
            config[key("courseRepoUrl")] = STAND_IN_COURSE_URL;
            delete config[key("courseRepoToken")];
        }
    };
    return {
        change,
        logins,
        courseFiles: course.kind === "stand-in" ? standInCourse(cfg.course!.repositoryUrl, course.reason) : undefined,
        differences,
    };
}

/** A roster entry as a test login: the entry is the user name; a name without @ gets an address in the class's zone. */
function testLogin(entry: string, dnsZone: string, admin: boolean): TestLogin {
    return {
        login: entry,
        name: entry,
        email: entry.includes("@") ? entry : `${entry}@${dnsZone}`,
        password: randomBytes(9).toString("base64url"),
        admin,
    };
}

function standInCourse(url: string, reason: string): Record<string, string> {
    return {
        "README.md": `# A local stand-in for the course repository\n\nThis is not ${url}: it could not be used from this machine (${reason}).\n` +
            "`npm run local` put this repository with one notebook in its place, so that the copy into every\n" +
            "student's home can be seen working. On the Droplet, the students get the configured repository.\n",
        "welcome.ipynb": notebook("print('Hello from the local stand-in of the course repository')"),
    };
}

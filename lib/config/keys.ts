import { z } from "zod";
import { AUTH_PROVIDER_NAMES } from "./providers";
import { asciiLower, regExp, RULES, TextRule } from "./rules";
import { canonicalTimeZone, MEETING_EXAMPLE, meetingSchema } from "./classSchedule";

/**
 * Every stack config key the program reads, in the `jupyterhub-classroom:` namespace.
 * One table drives validation, error messages and Pulumi.yaml's config block (lib/config/pulumiYaml.ts),
 * so a key cannot be read without being validated and declared; docs/configuration.md lists every
 * key, and a test checks it names each one.
 */
export interface ConfigKey {
    readonly schema: z.ZodTypeAny;
    /** The value's shape in the stack file; Pulumi.yaml declares it (numbers as strings: Pulumi has no float). */
    readonly type: "string" | "integer" | "number" | "boolean" | "list" | "objectList";
    /** Shown in errors as `pulumi config set …`: a working example value. */
    readonly example: string;
    /** Set with `pulumi config set --secret`; never printed, never put in user-data. */
    readonly secret?: boolean;
    /** Lists and objects are set with `--path`. */
    readonly structured?: boolean;
    /** The arguments of `pulumi config set` in the fix, where the default form would not work. */
    readonly setArgs?: string;
    /** The key's new name: the old one is still read, with a warning naming the new one, for one release. */
    readonly deprecatedFor?: string;
    readonly description: string;
}

/** Names that already exist on Ubuntu 24.04 and Debian 12 images, or that this stack creates. */
export const SYSTEM_ACCOUNTS: readonly string[] = [
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp",
    "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody", "_apt", "messagebus",
    "sshd", "syslog", "uuidd", "tcpdump", "tss", "landscape", "pollinate", "polkitd",
    "systemd-network", "systemd-resolve", "systemd-timesync", "systemd-coredump", "dhcpcd",
    "fwupd-refresh", "usbmux", "lxd", "ubuntu", "debian", "admin", "sudo", "users", "staff",
    "traefik", "jupyterhub", "jupyter", "jupyterhub-grader",
];

const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]{40,}( [^\n]*)?$/;

/** Pulumi stores every value as a string; the render command reads YAML, which has real types. */
const bool = () => z.preprocess(
    (v) => (v === "true" ? true : v === "false" ? false : v),
    z.boolean({ invalid_type_error: "expected true or false" }),
);
const number = () => z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v),
    z.number({ invalid_type_error: "expected a number" }),
);
/** Structured values set with `--path` arrive as JSON text. */
const list = <T extends z.ZodTypeAny>(item: T, min = 0) => z.preprocess((v) => {
    if (typeof v !== "string") return v;
    try { return JSON.parse(v); } catch { return v; }
}, z.array(item, { invalid_type_error: "expected a list (set items with --path 'key[0]')" })
    .min(min, `expected at least ${min} item${min === 1 ? "" : "s"}`));

/** A string that follows a rule of rules.ts, the rule class.json's JSON Schema carries too. */
const text = (rule: TextRule, expected = `expected ${rule.expected}`) => z.string().regex(regExp(rule), expected);
const lowerText = (rule: TextRule, expected = `expected ${rule.expected}`) => z.string().transform(asciiLower).pipe(text(rule, expected));
/** A URL by its rule, and one the WHATWG URL parser reads too (stricter than the server, never looser). */
const url = (rule: TextRule, what: string) => text(rule, `expected ${rule.expected} for ${what}`)
    .refine((u) => URL.canParse(u), `expected ${rule.expected} for ${what}`);
/** sharedData: true puts the shared folder in every home under this name. */
export const SHARED_DATA_DEFAULT = "shared";
/** An image reference pinned by digest (a tag before the digest is kept as a label); optional. */
const pinnedImage = (example: string) => z.string().regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$/,
    `expected an image pinned by digest, such as ${example}@sha256:<64 hex>`).optional();
const rosterList = list(lowerText(RULES.rosterEntry, `expected ${RULES.rosterEntry.expected}`));

export const CONFIG_KEYS = {
    dnsZone: {
        type: "string",
        schema: lowerText(RULES.hostname, "expected a DNS zone such as example.edu"),
        example: "example.edu",
        description: "The Cloudflare zone (domain) the class hostname lives in.",
    },
    subdomain: {
        type: "string",
        schema: lowerText(RULES.dnsLabel).optional(),
        example: "engr101",
        description: "The class's name inside the zone; the hub is at https://<subdomain>.<dnsZone>. Set this or hostname.",
    },
    hostname: {
        type: "string",
        schema: lowerText(RULES.hostname, "expected a full host name such as engr101.example.edu").optional(),
        example: "engr101.example.edu",
        description: "The full class hostname, inside dnsZone. Set this or subdomain.",
    },
    region: {
        type: "string",
        schema: z.string().regex(/^[a-z]{3}[0-9]$/, "expected a DigitalOcean region slug such as nyc3").default("nyc3"),
        example: "nyc3",
        description: "DigitalOcean region of the Droplet and the students' volume.",
    },
    dropletSize: {
        type: "string",
        schema: z.string().regex(/^[a-z0-9-]+$/, "expected a DigitalOcean size slug such as s-2vcpu-4gb").default("s-2vcpu-4gb"),
        example: "s-4vcpu-8gb",
        description: "DigitalOcean Droplet size; resizing is an in-place change.",
    },
    image: {
        type: "string",
        schema: z.enum(["ubuntu-24-04-x64", "debian-12-x64"], {
            errorMap: () => ({ message: "expected ubuntu-24-04-x64 or debian-12-x64" }),
        }).default("debian-12-x64"),
        example: "ubuntu-24-04-x64",
        description: "The Droplet's operating system image; debian-12-x64 is what the end-to-end test boots. Changing it replaces the Droplet (students' homes stay on the volume).",
    },
    volumeSizeGb: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number of GiB").min(1, "expected at least 1 GiB").max(16384, "expected at most 16384 GiB")).default(20),
        example: "50",
        description: "Size of the block-storage volume that holds the students' homes. It can grow, never shrink.",
    },
    retainVolume: {
        type: "boolean",
        // No default of its own here: an unset key falls back to protectVolume, then to true (classConfig.ts).
        schema: bool().optional(),
        example: "false",
        description: "Keep the students' volume when the stack deletes it (`pulumi destroy`): it stays in the DigitalOcean account, with the students' work. Default true. Set false only after archiving.",
    },
    protectVolume: {
        type: "boolean",
        schema: bool().optional(),
        example: "false",
        deprecatedFor: "retainVolume",
        description: "Deprecated: the old name of retainVolume, still read (with a warning) for one release.",
    },
    archiveOnDestroy: {
        type: "boolean",
        schema: bool().default(true),
        example: "false",
        description: "Before the Droplet is deleted (`pulumi destroy`, or a replacement), copy an archive of the students' homes and the hub database to archives/ on this machine; a failed copy stops the deletion. Set false only when the server is beyond reach.",
    },
    paused: {
        type: "boolean",
        schema: bool().default(false),
        example: "true",
        description: "Droplet only: between terms, archive the class (as before a destroy) and delete the Droplet, so it is no longer billed; the students' volume, the stack and its keys stay, and the hostname's address records are removed. false brings up a new server on the same volume (docs/operations.md, \"Between terms\").",
    },
    healthCheckTimeoutMinutes: {
        type: "integer",
        schema: number().pipe(z.number().int("expected whole minutes").min(1, "expected at least 1 minute")).default(10),
        example: "20",
        description: "How long `pulumi up` waits for the hub to answer over HTTPS with a valid certificate before it fails and shows why.",
    },
    adminUser: {
        type: "string",
        schema: z.string().regex(LINUX_USER, "expected a Linux user name: lower-case letters, digits, _ or -, at most 32 characters")
            .refine((u) => !SYSTEM_ACCOUNTS.includes(u) && !u.startsWith("jupyter-"), "expected a name that is not root, a system account or a student account (jupyter-…)")
            .default("instructor"),
        example: "instructor",
        description: "The instructor's sudo account on the Droplet; root SSH login is off.",
    },
    adminSshKeys: {
        type: "list",
        schema: list(z.string().trim().regex(SSH_PUBLIC_KEY, "expected OpenSSH public keys (ssh-ed25519 AAAA… comment)")).default([]),
        example: "'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDDdW/0w+ITkYcnvztvchqLmlfyd5ku8yAAPgIrE/MOQ me@laptop'",
        structured: true,
        description: "Extra SSH public keys for the admin user (for example your laptop's), besides the stack's own key.",
    },
    sshPrivateKey: {
        type: "string",
        schema: z.string().optional(),
        example: "-- < ~/.ssh/id_ed25519",
        secret: true,
        description: "The private key the stack uses to reach the Droplet over SSH. When unset, the stack generates an ED25519 key and exports it as the secret output privateKey.",
    },
    sshAllowedCidrs: {
        type: "list",
        schema: list(z.string().cidr("expected CIDRs such as 203.0.113.4/32 or 2001:db8::/48"), 1).default(["0.0.0.0/0", "::/0"]),
        example: "'203.0.113.4/32'",
        structured: true,
        description: "Addresses allowed to reach SSH (port 22). The machine that runs `pulumi up` must be among them.",
    },
    letsEncryptEmail: {
        type: "string",
        schema: z.string().email("expected an e-mail address for Let's Encrypt notices"),
        example: "instructor@example.edu",
        description: "E-mail address Let's Encrypt writes to about the certificate.",
    },
    letsEncryptStaging: {
        type: "boolean",
        schema: bool().default(false),
        example: "true",
        description: "Use Let's Encrypt's staging CA (untrusted certificates, generous rate limits) while trying things out.",
    },
    acmeDirectoryUrl: {
        type: "string",
        schema: url(RULES.httpsUrl, "the ACME directory").optional(),
        example: "https://acme.example.edu/directory",
        description: "Another ACME CA's directory URL; overrides letsEncryptStaging. Tests point it at a local ACME server.",
    },
    dnsProxied: {
        type: "boolean",
        schema: bool().default(false),
        example: "false",
        description: "Put the Cloudflare proxy in front of the hub. Off by default: see docs/configuration.md.",
    },
    authProvider: {
        type: "string",
        schema: z.enum(AUTH_PROVIDER_NAMES, {
            errorMap: () => ({ message: `expected ${AUTH_PROVIDER_NAMES.slice(0, -1).join(", ")} or ${AUTH_PROVIDER_NAMES.at(-1)}` }),
        }),
        example: "github",
        description: "Who students log in with.",
    },
    oauthClientId: {
        type: "string",
        schema: text(RULES.oneLine, "expected the OAuth app's client id, on one line"),
        example: "Iv1.0123456789abcdef",
        description: "The OAuth app's client id (not secret).",
    },
    oauthClientSecret: {
        type: "string",
        schema: z.string().min(1, "expected the OAuth app's client secret"),
        example: "-- <client secret>",
        secret: true,
        description: "The OAuth app's client secret.",
    },
    allowedUsers: {
        type: "list",
        schema: rosterList.default([]),
        example: "'ada@example.edu'",
        structured: true,
        description: "Students allowed to log in: GitHub user names, or e-mail addresses for Google and OIDC with the email claim (bare names only with rosterEmailDomain).",
    },
    adminUsers: {
        type: "list",
        schema: rosterList.default([]),
        example: "'prof@example.edu'",
        structured: true,
        description: "Instructors: hub admins with every right on the hub (the admin panel, every user and server).",
    },
    teachingAssistants: {
        type: "list",
        schema: rosterList.default([]),
        example: "'ta@example.edu'",
        structured: true,
        description: "Teaching assistants, named as in allowedUsers: they may log in, list the students, open, start and stop the students' servers, and nothing else (not in adminUsers too).",
    },
    rosterFile: {
        type: "string",
        schema: z.string().regex(/^[^\0]+\.csv$/i, "expected the path of a .csv file, relative to the project directory").optional(),
        example: "roster.csv",
        description: "A CSV roster (one user name or e-mail per line, optional role column: student, instructor or ta) added to allowedUsers, adminUsers and teachingAssistants.",
    },
    githubOrganizations: {
        type: "list",
        schema: list(text(RULES.githubOrganization, "expected GitHub organization names (org or org:team)")).default([]),
        example: "'engr101-students'",
        structured: true,
        description: "GitHub only: members of these organizations (or org:team) may log in.",
    },
    googleHostedDomains: {
        type: "list",
        schema: list(lowerText(RULES.hostname, "expected domains such as example.edu")).default([]),
        example: "'example.edu'",
        structured: true,
        description: "Google only: accounts of these Google Workspace domains may log in.",
    },
    oidcAuthorizeUrl: {
        type: "string",
        schema: url(RULES.httpUrl, "the OIDC authorize endpoint").optional(),
        example: "https://login.example.edu/oauth2/authorize",
        description: "OIDC only: the provider's authorization endpoint.",
    },
    oidcTokenUrl: {
        type: "string",
        schema: url(RULES.httpUrl, "the OIDC token endpoint").optional(),
        example: "https://login.example.edu/oauth2/token",
        description: "OIDC only: the provider's token endpoint.",
    },
    oidcUserdataUrl: {
        type: "string",
        schema: url(RULES.httpUrl, "the OIDC userinfo endpoint").optional(),
        example: "https://login.example.edu/oauth2/userinfo",
        description: "OIDC only: the provider's userinfo endpoint.",
    },
    oidcUsernameClaim: {
        type: "string",
        schema: text(RULES.claim).default("email"),
        example: "preferred_username",
        description: "OIDC only: the userinfo claim that names the student; e-mail addresses map to their local part.",
    },
    oidcScopes: {
        type: "list",
        schema: list(text(RULES.scope, "expected scope names")).default(["openid", "email", "profile"]),
        example: "'openid'",
        structured: true,
        description: "OIDC only: scopes to request.",
    },
    courseRepoUrl: {
        type: "string",
        schema: text(RULES.courseRepositoryUrl).optional(),
        example: "https://github.com/example/engr101-notebooks.git",
        description: "The course git repository put into every student's home.",
    },
    courseRepoBranch: {
        type: "string",
        schema: text(RULES.branch).default("main"),
        example: "main",
        description: "The branch of the course repository students get.",
    },
    courseDirectory: {
        type: "string",
        schema: text(RULES.directory).default("course"),
        example: "engr101",
        description: "Where the course files go inside each student's home.",
    },
    courseRepoToken: {
        type: "string",
        schema: z.string().optional(),
        example: "-- <read-only token>",
        secret: true,
        description: "A read-only access token for a private course repository (https URLs). Students never see it.",
    },
    coursePackages: {
        type: "list",
        schema: list(z.string().trim().pipe(text(RULES.requirement))).default([]),
        example: "'pandas==2.2.3'",
        structured: true,
        description: "Extra Python packages for the students' environment, as pip requirements (pin them).",
    },
    sharedData: {
        type: "string",
        schema: z.preprocess(
            (v) => (v === true || v === "true" ? SHARED_DATA_DEFAULT : v === false || v === "false" || v === "" ? undefined : v),
            text(RULES.folderName, `expected true, false or ${RULES.folderName.expected}`).optional(),
        ),
        example: "true",
        description: "Droplet only: a folder on the students' volume that course staff can write and students can only read, in every home as ~/shared (true) or under the name given (such as datasets). Upload with rsync over SSH (docs/operations.md, \"Shared data\").",
    },
    diskQuotaGb: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number of GiB").min(1, "expected at least 1 GiB").max(16384, "expected at most 16384 GiB")).optional(),
        example: "5",
        description: "Droplet only: how much of the students' volume each student may use (kernel quotas); a student over it gets \"Disk quota exceeded\" and nobody else is affected. Default: no quota. `sudo classroom-usage` lists each student's use.",
    },
    memoryLimit: {
        type: "string",
        schema: text(RULES.memory).default("2G"),
        example: "2G",
        description: "Memory each student's server may use (K, M, G or T).",
    },
    cpuLimit: {
        type: "number",
        schema: number().pipe(z.number().positive("expected more than 0 CPUs").max(64, "expected at most 64 CPUs")).default(1),
        example: "0.5",
        description: "CPUs each student's server may use (fractions allowed).",
    },
    idleTimeoutSeconds: {
        type: "integer",
        schema: number().pipe(z.number().int("expected whole seconds").min(0, "expected 0 (never cull) or more seconds")).default(3600),
        example: "3600",
        description: "Stop a student's server after this many idle seconds; 0 never stops them.",
    },
    concurrentSpawnLimit: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number").min(0, "expected 0 (derive it) or more")).default(0),
        example: "4",
        description: "How many students' servers may be starting at the same moment; the rest wait in the hub's queue, in order. 0: twice the Droplet's vCPUs ÷ cpuLimit (at most 1).",
    },
    loginTitle: {
        type: "string",
        schema: z.string().trim().pipe(text(RULES.title)).default("JupyterHub"),
        example: "'ENGR 101: Programming for Engineers'",
        description: "The course title on the login page.",
    },
    loginLogoUrl: {
        type: "string",
        schema: url(RULES.httpsUrl, "the logo").optional(),
        example: "https://example.edu/logo.png",
        description: "An https image URL shown above the login button.",
    },
    loginPrimaryColor: {
        type: "string",
        schema: text(RULES.color).default("#1f6feb"),
        example: "'#8c1d40'",
        description: "The login page's accent colour (#rgb or #rrggbb).",
    },
    loginHelpLinks: {
        type: "objectList",
        schema: list(z.object({
            text: z.string().trim().pipe(text(RULES.linkText)),
            url: url(RULES.httpUrl, "help links"),
        }).strict()).default([]),
        example: "https://example.edu/engr101",
        setArgs: "--path 'loginHelpLinks[0].text' 'Course page' && pulumi config set --path 'loginHelpLinks[0].url' https://example.edu/engr101",
        structured: true,
        description: "Links shown under the login button, each {text, url}.",
    },
    loginAnnouncement: {
        type: "string",
        schema: text(RULES.announcement).optional(),
        example: "'Lab 3 is due Friday.'",
        description: "A short notice on the login page (plain text).",
    },
    homeAnnouncement: {
        type: "string",
        schema: text(RULES.announcement).optional(),
        example: "'The hub restarts tonight at 22:00; save your work.'",
        description: "A short notice on the hub's home page, which everyone sees once logged in (plain text).",
    },
    rosterEmailDomain: {
        type: "string",
        schema: lowerText(RULES.hostname, "expected a domain such as example.edu").optional(),
        example: "example.edu",
        description: "Google and OIDC (email claim) only: the class's one e-mail domain. Bare names in allowedUsers, adminUsers, teachingAssistants and the roster file get @<this domain>; without it every entry must be a whole e-mail address.",
    },
    insecureHttpHosts: {
        type: "list",
        schema: list(lowerText(RULES.host, "expected host names or IPv4 addresses such as git.lab.example.edu")).default([]),
        example: "'git.lab.example.edu'",
        structured: true,
        description: "Hosts that may be reached over plain http:// (OIDC endpoints, courseRepoUrl), such as a lab's own git server on a trusted network. Empty by default: every such URL must be https://.",
    },
    classSchedule: {
        type: "list",
        schema: list(meetingSchema).default([]),
        example: MEETING_EXAMPLE,
        structured: true,
        description: "When the class meets, in timezone, such as 'Mon,Wed 09:00-10:15'; the roster's servers start warmLeadMinutes before each meeting.",
    },
    timezone: {
        type: "string",
        schema: z.string().transform((name, ctx) => canonicalTimeZone(name) ?? (ctx.addIssue({
            code: z.ZodIssueCode.custom, message: "expected an IANA time zone such as America/New_York",
        }), z.NEVER)).default("UTC"),
        example: "America/New_York",
        description: "The IANA time zone of classSchedule's times.",
    },
    warmLeadMinutes: {
        type: "integer",
        schema: number().pipe(z.number().int("expected whole minutes").min(0, "expected 0 or more minutes").max(720, "expected at most 720 minutes")).default(10),
        example: "10",
        description: "How many minutes before each class meeting the roster's servers start.",
    },
    grading: {
        type: "string",
        schema: z.enum(["none", "nbgrader"], {
            errorMap: () => ({ message: "expected none or nbgrader" }),
        }).default("none"),
        example: "nbgrader",
        description: "Droplet only: assignments with nbgrader. Students get JupyterLab's Assignments tab (fetch, validate, submit, feedback); course staff get the formgrader at https://<hostname>/services/formgrader/; the exchange and the gradebook live on the students' volume (docs/operations.md, \"Assignments\").",
    },
    courseId: {
        type: "string",
        schema: text(RULES.courseId).optional(),
        example: "engr101",
        description: "grading nbgrader only: nbgrader's course id (the exchange's directory for the course). Default: the hostname's first label, such as engr101 for engr101.example.edu.",
    },
    // --- The platform, and the keys only platform kubernetes reads (docs/kubernetes.md) ---
    platform: {
        type: "string",
        schema: z.enum(["droplet", "kubernetes"], {
            errorMap: () => ({ message: "expected droplet or kubernetes" }),
        }).default("droplet"),
        example: "kubernetes",
        description: "Where the class runs: one Droplet (up to about 100 active students), or a DigitalOcean Kubernetes cluster with the Zero to JupyterHub chart (docs/kubernetes.md).",
    },
    kubernetesVersion: {
        type: "string",
        schema: z.string().regex(/^1\.[0-9]{2}\.[0-9]+-do\.[0-9]+$/, "expected a DigitalOcean Kubernetes version slug such as 1.34.1-do.0 (doctl kubernetes options versions)").optional(),
        example: "1.34.1-do.0",
        description: "kubernetes only, required there: the cluster's Kubernetes version, pinned (`doctl kubernetes options versions` lists them). A newer one upgrades the cluster in place.",
    },
    kubernetesNodeSize: {
        type: "string",
        schema: z.string().regex(/^[a-z0-9]+-[0-9]+vcpu-[0-9]+gb(-[a-z0-9]+)?$/, "expected a DigitalOcean size slug that names its memory, such as s-4vcpu-8gb").default("s-4vcpu-8gb"),
        example: "s-8vcpu-16gb",
        description: "kubernetes only: the size of the autoscaling nodes students' servers run on.",
    },
    kubernetesMinNodes: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number of nodes").min(1, "expected at least 1 node").max(100, "expected at most 100 nodes")).optional(),
        example: "2",
        description: "kubernetes only: the fewest student nodes kept running. Default: enough for the user placeholders.",
    },
    kubernetesMaxNodes: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number of nodes").min(1, "expected at least 1 node").max(100, "expected at most 100 nodes")).optional(),
        example: "10",
        description: "kubernetes only: the most student nodes the autoscaler may add. Default: enough for every student on the roster at once, by their memory guarantee.",
    },
    memoryGuarantee: {
        type: "string",
        schema: text(RULES.memory).optional(),
        example: "1G",
        description: "kubernetes only: memory reserved for each student's server (it may use up to memoryLimit). Default: half of memoryLimit.",
    },
    cpuGuarantee: {
        type: "number",
        schema: number().pipe(z.number().positive("expected more than 0 CPUs").max(64, "expected at most 64 CPUs")).optional(),
        example: "0.25",
        description: "kubernetes only: CPUs reserved for each student's server (it may use up to cpuLimit). Default: a quarter of cpuLimit.",
    },
    singleuserImage: {
        type: "string",
        schema: pinnedImage("quay.io/jupyter/scipy-notebook"),
        example: "quay.io/jupyter/scipy-notebook@sha256:e6e8baae46b5e62bbc26910169082639a6fd96f90e9f6fc52e0c0389df92d35c",
        description: "kubernetes only: the students' image, pinned by digest; it carries the course's packages (coursePackages is for the Droplet). It needs git and jupyterhub-singleuser. Default: a Jupyter docker-stacks scipy-notebook image.",
    },
    userPlaceholders: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number").min(0, "expected 0 or more")).optional(),
        example: "20",
        description: "kubernetes only: how many students' servers' worth of room is kept free, so a class starting at once does not wait for new nodes. With classSchedule, this is between meetings (each meeting's warm window keeps room for as many as kubernetesMaxNodes hold). Default: a tenth of the roster; 0 with classSchedule.",
    },
    placeholderScalerImage: {
        type: "string",
        schema: pinnedImage("registry.k8s.io/kubectl"),
        example: "registry.k8s.io/kubectl:v1.34.1@sha256:59bafa07ff3a6d4b417e7633ddb9d79a9606ca98bf64bac080b3e65748669250",
        description: "kubernetes only, with classSchedule: the kubectl image, pinned by digest, that scales the user placeholders up before each meeting and down after it. Default: the official registry.k8s.io/kubectl v1.34.1 (its digest was not pulled here; docs/kubernetes.md).",
    },
    studentStorageGb: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number of GiB").min(1, "expected at least 1 GiB").max(1000, "expected at most 1000 GiB")).default(10),
        example: "5",
        description: "kubernetes only: the size of each student's own volume (DigitalOcean block storage, kept when the stack is destroyed).",
    },
    perStudentOrigins: {
        type: "boolean",
        // No default of its own here: unset, it is true on the Droplet unless dnsProxied (classConfig.ts).
        schema: bool().optional(),
        example: "false",
        description: "Droplet only: serve each student's server on its own origin, https://<user>.<hostname>/, with a wildcard certificate (ACME DNS-01 through Cloudflare, with an API token the stack creates). Default true on the Droplet unless dnsProxied, false on kubernetes. Needs Cloudflare credentials that may create API tokens and dnsProxied false; false keeps one shared origin for every server.",
    },
} satisfies Record<string, ConfigKey>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

export const SECRET_KEYS = (Object.keys(CONFIG_KEYS) as ConfigKeyName[])
    .filter((k) => (CONFIG_KEYS[k] as ConfigKey).secret);

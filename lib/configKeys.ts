import { z } from "zod";
import { canonicalTimeZone, MEETING_EXAMPLE, meetingSchema } from "./classSchedule";

/**
 * Every stack config key the program reads, in the `jupyterhub-classroom:` namespace.
 * One table drives validation, error messages, Pulumi.yaml and docs/configuration.md, so a key
 * cannot be read without being validated and documented.
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
    readonly description: string;
}

/** Names that already exist on Ubuntu 24.04 and Debian 12 images, or that this stack creates. */
export const SYSTEM_ACCOUNTS: readonly string[] = [
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp",
    "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody", "_apt", "messagebus",
    "sshd", "syslog", "uuidd", "tcpdump", "tss", "landscape", "pollinate", "polkitd",
    "systemd-network", "systemd-resolve", "systemd-timesync", "systemd-coredump", "dhcpcd",
    "fwupd-refresh", "usbmux", "lxd", "ubuntu", "debian", "admin", "sudo", "users", "staff",
    "traefik", "jupyterhub", "jupyter",
];

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const HOSTNAME = /^(?=.{1,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;
const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SIZE = /^[1-9][0-9]*(\.[0-9]+)?[KMGT]$/;
const COLOR = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
export const ROSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}$/;
const REQUIREMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,.-]+\])?\s*((==|>=|<=|~=|!=|<|>)\s*[A-Za-z0-9.*+!-]+\s*,?\s*)*$/;
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

const httpUrl = (what: string) => z.string().url(`expected an http(s) URL for ${what}`)
    .refine((u) => /^https?:\/\//i.test(u), `expected an http(s) URL for ${what}`);
const httpsUrl = (what: string) => z.string().url(`expected an https URL for ${what}`)
    .refine((u) => /^https:\/\//i.test(u), `expected an https URL for ${what}`);
const rosterList = list(z.string().regex(ROSTER_NAME, "expected user names or e-mail addresses (letters, digits, . _ + @ -)"));

export const CONFIG_KEYS = {
    dnsZone: {
        type: "string",
        schema: z.string().toLowerCase().regex(HOSTNAME, "expected a DNS zone such as example.edu"),
        example: "example.edu",
        description: "The Cloudflare zone (domain) the class hostname lives in.",
    },
    subdomain: {
        type: "string",
        schema: z.string().toLowerCase().regex(DNS_LABEL, "expected one DNS label (letters, digits, -)").optional(),
        example: "engr101",
        description: "The class's name inside the zone; the hub is at https://<subdomain>.<dnsZone>. Set this or hostname.",
    },
    hostname: {
        type: "string",
        schema: z.string().toLowerCase().regex(HOSTNAME, "expected a full host name such as engr101.example.edu").optional(),
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
        }).default("ubuntu-24-04-x64"),
        example: "debian-12-x64",
        description: "The Droplet's operating system image. Changing it replaces the Droplet (students' homes stay on the volume).",
    },
    volumeSizeGb: {
        type: "integer",
        schema: number().pipe(z.number().int("expected a whole number of GiB").min(1, "expected at least 1 GiB").max(16384, "expected at most 16384 GiB")).default(20),
        example: "50",
        description: "Size of the block-storage volume that holds the students' homes. It can grow, never shrink.",
    },
    protectVolume: {
        type: "boolean",
        schema: bool().default(true),
        example: "false",
        description: "Protect the students' volume from deletion, so `pulumi destroy` keeps it. Set false only after archiving.",
    },
    archiveOnDestroy: {
        type: "boolean",
        schema: bool().default(true),
        example: "false",
        description: "Before the Droplet is deleted (`pulumi destroy`, or a replacement), copy an archive of the students' homes and the hub database to archives/ on this machine; a failed copy stops the deletion. Set false only when the server is beyond reach.",
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
        schema: httpsUrl("the ACME directory").optional(),
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
        schema: z.enum(["github", "google", "oidc"], {
            errorMap: () => ({ message: "expected github, google or oidc" }),
        }),
        example: "github",
        description: "Who students log in with.",
    },
    oauthClientId: {
        type: "string",
        schema: z.string().min(1, "expected the OAuth app's client id"),
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
        description: "Students allowed to log in: GitHub user names, or e-mail addresses for Google and OIDC.",
    },
    adminUsers: {
        type: "list",
        schema: rosterList.default([]),
        example: "'prof@example.edu'",
        structured: true,
        description: "Hub admins (instructors, TAs): they may log in and use the admin panel.",
    },
    rosterFile: {
        type: "string",
        schema: z.string().regex(/^[^\0]+\.csv$/i, "expected the path of a .csv file, relative to the project directory").optional(),
        example: "roster.csv",
        description: "A CSV roster (one user name or e-mail per line, optional admin column) added to allowedUsers and adminUsers.",
    },
    githubOrganizations: {
        type: "list",
        schema: list(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(:[A-Za-z0-9_.-]+)?$/, "expected GitHub organization names (org or org:team)")).default([]),
        example: "'engr101-students'",
        structured: true,
        description: "GitHub only: members of these organizations (or org:team) may log in.",
    },
    googleHostedDomains: {
        type: "list",
        schema: list(z.string().toLowerCase().regex(HOSTNAME, "expected domains such as example.edu")).default([]),
        example: "'example.edu'",
        structured: true,
        description: "Google only: accounts of these Google Workspace domains may log in.",
    },
    oidcAuthorizeUrl: {
        type: "string",
        schema: httpUrl("the OIDC authorize endpoint").optional(),
        example: "https://login.example.edu/oauth2/authorize",
        description: "OIDC only: the provider's authorization endpoint.",
    },
    oidcTokenUrl: {
        type: "string",
        schema: httpUrl("the OIDC token endpoint").optional(),
        example: "https://login.example.edu/oauth2/token",
        description: "OIDC only: the provider's token endpoint.",
    },
    oidcUserdataUrl: {
        type: "string",
        schema: httpUrl("the OIDC userinfo endpoint").optional(),
        example: "https://login.example.edu/oauth2/userinfo",
        description: "OIDC only: the provider's userinfo endpoint.",
    },
    oidcUsernameClaim: {
        type: "string",
        schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, "expected a claim name such as email or preferred_username").default("email"),
        example: "preferred_username",
        description: "OIDC only: the userinfo claim that names the student; e-mail addresses map to their local part.",
    },
    oidcScopes: {
        type: "list",
        schema: list(z.string().regex(/^[A-Za-z0-9_.:/-]+$/, "expected scope names")).default(["openid", "email", "profile"]),
        example: "'openid'",
        structured: true,
        description: "OIDC only: scopes to request.",
    },
    courseRepoUrl: {
        type: "string",
        schema: z.string().refine((u) => /^(https?:\/\/[^\s]+|ssh:\/\/[^\s]+|[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[^\s]+)$/.test(u) && !/^https?:\/\/[^/]*@/.test(u),
            "expected an https://, http://, ssh:// or git@host:path URL with no credentials in it (use courseRepoToken)").optional(),
        example: "https://github.com/example/engr101-notebooks.git",
        description: "The course git repository put into every student's home.",
    },
    courseRepoBranch: {
        type: "string",
        schema: z.string().regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}$/, "expected a git branch name").default("main"),
        example: "main",
        description: "The branch of the course repository students get.",
    },
    courseDirectory: {
        type: "string",
        schema: z.string().regex(/^(?!\.)(?!.*\/\.)(?!.*\.\.)[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "expected a relative directory inside the student's home, such as course").default("course"),
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
        schema: list(z.string().trim().regex(REQUIREMENT, "expected pip requirements such as numpy==2.1.3")).default([]),
        example: "'pandas==2.2.3'",
        structured: true,
        description: "Extra Python packages for the students' environment, as pip requirements (pin them).",
    },
    memoryLimit: {
        type: "string",
        schema: z.string().regex(SIZE, "expected a size such as 512M or 2G").default("2G"),
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
        description: "How many students' servers may be starting at the same moment; the rest wait in the hub's queue, in order. 0: the Droplet's vCPUs ÷ cpuLimit (at most 1).",
    },
    loginTitle: {
        type: "string",
        schema: z.string().trim().min(1, "expected a title").max(120, "expected at most 120 characters").default("JupyterHub"),
        example: "'ENGR 101: Programming for Engineers'",
        description: "The course title on the login page.",
    },
    loginLogoUrl: {
        type: "string",
        schema: httpsUrl("the logo").optional(),
        example: "https://example.edu/logo.png",
        description: "An https image URL shown above the login button.",
    },
    loginPrimaryColor: {
        type: "string",
        schema: z.string().regex(COLOR, "expected a colour such as #1f6feb").default("#1f6feb"),
        example: "'#8c1d40'",
        description: "The login page's accent colour (#rgb or #rrggbb).",
    },
    loginHelpLinks: {
        type: "objectList",
        schema: list(z.object({
            text: z.string().trim().min(1, "expected link text").max(80, "expected at most 80 characters"),
            url: httpUrl("help links"),
        }).strict()).default([]),
        example: "https://example.edu/engr101",
        setArgs: "--path 'loginHelpLinks[0].text' 'Course page' && pulumi config set --path 'loginHelpLinks[0].url' https://example.edu/engr101",
        structured: true,
        description: "Links shown under the login button, each {text, url}.",
    },
    loginAnnouncement: {
        type: "string",
        schema: z.string().max(500, "expected at most 500 characters").optional(),
        example: "'Lab 3 is due Friday.'",
        description: "A short notice on the login page (plain text).",
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
} satisfies Record<string, ConfigKey>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

export const SECRET_KEYS = (Object.keys(CONFIG_KEYS) as ConfigKeyName[])
    .filter((k) => (CONFIG_KEYS[k] as ConfigKey).secret);

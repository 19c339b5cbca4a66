/**
 * The value rules of the settings contract, each written once. The config keys (keys.ts) check
 * the instructor's input with them at preview, and the JSON Schema of class.json (jsonSchema.ts),
 * which the server validates with `jsonschema`, carries the very same patterns: neither side has
 * a copy of its own. The server's user-name code (classroom_hub/usernames.py) reads `hubName`
 * from that schema too.
 *
 * A pattern is the body of a regular expression in the subset JavaScript (with the `u` flag) and
 * Python's `re` read alike: no \d or \w (Python's match non-ASCII digits and letters), no `$`
 * at the end (Python's also matches before a final line break). `whole` anchors it.
 */
export interface TextRule {
    readonly pattern: string;
    /** What a valid value looks like, completing "expected …" in every error message. */
    readonly expected: string;
}

/** C0 and C1 control characters and DEL: never in a value shown on a page or put in a header. */
const CONTROL = String.raw`\x00-\x1f\x7f-\x9f`;
const URL_TAIL = String.raw`[^\s"'<>\\${CONTROL}]+`;
const HOSTNAME = String.raw`(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}`;
/** Lower-case ASCII letters and digits with . _ - inside, at most 64 like an e-mail local part. */
const HUB_NAME = String.raw`[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?`;

export const RULES = {
    hostname: { pattern: HOSTNAME, expected: "a host name such as engr101.example.edu" },
    /** A host name or an IPv4 address: where a URL points. */
    host: { pattern: String.raw`${HOSTNAME}|[0-9]{1,3}(?:\.[0-9]{1,3}){3}`, expected: "a host name or an IPv4 address" },
    dnsLabel: { pattern: String.raw`(?!-)[a-z0-9-]{1,63}(?<!-)`, expected: "one DNS label (letters, digits, -)" },
    hubName: {
        pattern: HUB_NAME,
        expected: "a hub user name: lower-case letters and digits, with . _ - inside, at most 64 characters",
    },
    /**
     * A roster entry, lower-cased: a hub user name, or an e-mail address whose local part is one
     * (the hub names an e-mail login by its local part).
     */
    rosterEntry: {
        pattern: String.raw`${HUB_NAME}(?:@${HOSTNAME})?`,
        expected: "a user name or an e-mail address whose part before the @ is lower-case letters and digits, with . _ - inside (no +), at most 64 characters",
    },
    emailAddress: {
        pattern: String.raw`${HUB_NAME}@${HOSTNAME}`,
        expected: "an e-mail address such as ada@example.edu",
    },
    githubOrganization: { pattern: String.raw`[A-Za-z0-9][A-Za-z0-9-]{0,38}(?::[A-Za-z0-9_.-]+)?`, expected: "a GitHub organization (org or org:team)" },
    httpsUrl: { pattern: String.raw`https://${URL_TAIL}`, expected: "an https URL" },
    httpUrl: { pattern: String.raw`https?://${URL_TAIL}`, expected: "an http(s) URL" },
    claim: { pattern: String.raw`[A-Za-z_][A-Za-z0-9_.:-]*`, expected: "a claim name such as email or preferred_username" },
    scope: { pattern: String.raw`[A-Za-z0-9_.:/-]+`, expected: "a scope name" },
    courseRepositoryUrl: {
        pattern: String.raw`(?:https?://(?![^/]*@)|ssh://|[A-Za-z0-9_][A-Za-z0-9_.-]*@[A-Za-z0-9][A-Za-z0-9.-]*:)[^\s"'\\${CONTROL}]+`,
        expected: "an https://, ssh:// or git@host:path URL with no credentials in it (use courseRepoToken)",
    },
    branch: { pattern: String.raw`(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}`, expected: "a git branch name" },
    directory: {
        pattern: String.raw`(?!\.)(?!.*/\.)(?!.*\.\.)[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*`,
        expected: "a relative directory inside the student's home, such as course",
    },
    /** One name in a home, such as shared: no /, never hidden, never . or .. */
    folderName: {
        pattern: String.raw`(?!\.)[A-Za-z0-9._-]{1,64}`,
        expected: "a folder name such as shared or datasets (letters, digits, . _ -, not starting with a dot, no /)",
    },
    // Starts with a letter or digit, so pip never reads a package as an option (--index-url=...).
    requirement: {
        pattern: String.raw`[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9_,.-]+\])? *(?:(?:==|>=|<=|~=|!=|<|>) *[A-Za-z0-9.*+!-]+ *,? *)*`,
        expected: "pip requirements such as numpy==2.1.3",
    },
    /** nbgrader's course id: a directory name in its exchange, never its `+` separator or a path. */
    courseId: {
        pattern: String.raw`[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?`,
        expected: "a course id of letters, digits, _ and - (not at either end), at most 64 characters, such as engr101",
    },
    memory: { pattern: String.raw`[1-9][0-9]*(?:\.[0-9]+)?[KMGT]`, expected: "a size such as 512M or 2G" },
    // Goes into CSS, which HTML escaping does not protect: only a colour may pass.
    color: { pattern: "#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", expected: "a colour such as #1f6feb" },
    oneLine: { pattern: `[^${CONTROL}]+`, expected: "text on one line, without control characters" },
    title: { pattern: `[^${CONTROL}]{1,120}`, expected: "a title of at most 120 characters, without control characters (tabs, line breaks)" },
    linkText: { pattern: `[^${CONTROL}]{1,80}`, expected: "link text of at most 80 characters, without control characters" },
    announcement: {
        pattern: String.raw`[^\x00-\x08\x0b-\x1f\x7f-\x9f]{0,500}`,
        expected: "plain text of at most 500 characters (line breaks and tabs allowed, no other control characters)",
    },
    /** A class meeting's local time, 24-hour HH:MM. */
    clockTime: { pattern: "(?:[01][0-9]|2[0-3]):[0-5][0-9]", expected: "a 24-hour time such as 09:00" },
    /** The spelling of an IANA time zone name; whether it exists is the time zone database's to say. */
    timeZone: { pattern: "[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*", expected: "an IANA time zone such as America/New_York" },
    cookieSecret: { pattern: "[0-9a-fA-F]{64}", expected: "64 hex characters" },
    /** Goes into a systemd EnvironmentFile unquoted: only the characters Cloudflare's tokens have. */
    cloudflareToken: { pattern: "[A-Za-z0-9_-]{20,200}", expected: "a Cloudflare API token" },
    traefikApiPassword: { pattern: String.raw`[^\x00-\x20\x7f]{16,}`, expected: "at least 16 characters, no spaces" },
} as const satisfies Record<string, TextRule>;

export type RuleName = keyof typeof RULES;

/** The pattern matching a whole value, alike in JavaScript and in Python's `re.search`. */
export function whole(pattern: string): string {
    return String.raw`^(?:${pattern})(?![\s\S])`;
}

export function regExp(rule: TextRule): RegExp {
    return new RegExp(whole(rule.pattern), "u");
}

export function matches(rule: TextRule, value: string): boolean {
    return regExp(rule).test(value);
}

/**
 * Lower-cases ASCII letters only: String.toLowerCase also folds some non-ASCII letters onto ASCII
 * ones (the Kelvin sign onto k), which would let "\u212aate" pass as kate.
 */
export function asciiLower(value: string): string {
    return value.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

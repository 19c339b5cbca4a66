/**
 * One person, one identity: the roster rules a JSON Schema cannot state, because they relate
 * entries to each other and to the login provider. The hub names a login by its e-mail address's
 * local part (ada@example.edu → ada), so:
 * - with e-mail logins (Google, OIDC with the email claim) every entry is a whole address: a bare
 *   "ada" would admit ada from any domain;
 * - one class takes addresses of one domain: ada@a.edu and ada@b.edu would be one hub user;
 * - GitHub user names have no @;
 * - a teaching assistant is not an instructor too (adminUsers hold every right already).
 * The server checks the same rules on class.json (classroom_hub/settings.py); both sides run the
 * cases of test/cases/roster-identity.json, so the two stay one rule.
 */
import { AUTH_PROVIDERS, AuthProviderName } from "./providers";

export type RosterList = "allowedUsers" | "adminUsers" | "teachingAssistants" | "googleHostedDomains";

export interface RosterIdentity {
    readonly provider: AuthProviderName;
    /** OIDC only: the userinfo claim that names the student. */
    readonly usernameClaim?: string;
    /** Lower-cased, as class.json holds them; undefined where an entry is invalid on its own (skipped). */
    readonly allowedUsers: readonly (string | undefined)[];
    readonly adminUsers: readonly (string | undefined)[];
    /** Absent: none. */
    readonly teachingAssistants?: readonly (string | undefined)[];
    readonly googleHostedDomains: readonly (string | undefined)[];
}

export interface IdentityProblem {
    readonly list: RosterList;
    readonly index: number;
    /** Completes "<list>[<index>]: got <entry>; …". */
    readonly expected: string;
    /** The command that fixes it, where setting another value is not the fix. */
    readonly fix?: string;
}

/** Logins the provider names by an e-mail address. */
export function emailLogins(provider: AuthProviderName, usernameClaim?: string): boolean {
    return AUTH_PROVIDERS[provider].emailLogins(usernameClaim);
}

/** The hub user name of a (lower-cased) roster entry: an address's local part, else the entry. */
export function hubNameOf(entry: string): string {
    const at = entry.lastIndexOf("@");
    return at < 0 ? entry : entry.slice(0, at);
}

export function rosterIdentityProblems(roster: RosterIdentity): IdentityProblem[] {
    const problems: IdentityProblem[] = [];
    const byEmail = emailLogins(roster.provider, roster.usernameClaim);
    let classDomain: string | undefined;
    const domainOf = (list: RosterList, index: number, domain: string) => {
        classDomain ??= domain;
        if (domain === classDomain) return true;
        problems.push({
            list, index, expected: `expected the class's one e-mail domain, ${classDomain}: hub user names are the part ` +
                "before the @, so addresses of two domains could make two people one hub user",
        });
        return false;
    };
    roster.googleHostedDomains.forEach((domain, index) => domain !== undefined && domainOf("googleHostedDomains", index, domain));
    const spelling = new Map<string, string>();
    const instructors = new Set(roster.adminUsers.flatMap((entry) => entry === undefined ? [] : [hubNameOf(entry)]));
    for (const list of ["allowedUsers", "adminUsers", "teachingAssistants"] as const) {
        (roster[list] ?? []).forEach((entry, index) => {
            if (entry === undefined) return;
            const at = entry.lastIndexOf("@");
            if (at < 0 && byEmail) {
                problems.push({
                    list, index, expected: `expected a whole e-mail address (${entry}@<domain>): ${roster.provider} logins ` +
                        "are e-mail addresses, and a bare name would admit it from any domain; or set rosterEmailDomain to complete bare names",
                });
                return;
            }
            if (at >= 0 && roster.provider === "github") {
                problems.push({ list, index, expected: "expected a GitHub user name, which has no @" });
                return;
            }
            if (at >= 0 && !domainOf(list, index, entry.slice(at + 1))) return;
            const name = hubNameOf(entry);
            if (list === "teachingAssistants" && instructors.has(name)) {
                problems.push({
                    list, index, expected: "expected someone who is not in adminUsers too: an instructor has every right " +
                        "a teaching assistant has and more; keep them in one of the two lists",
                    fix: `pulumi config rm --path 'teachingAssistants[${index}]'`,
                });
                return;
            }
            const first = spelling.get(name);
            if (first === undefined) spelling.set(name, entry);
            else if (first !== entry) {
                problems.push({ list, index, expected: `expected one spelling per hub user: ${first} is hub user ${name} already` });
            }
        });
    }
    return problems;
}

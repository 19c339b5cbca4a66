import { asciiLower, matches, RULES } from "./rules";

/** One roster entry, lower-cased, and the line of the file it is on. */
export interface RosterLine {
    readonly name: string;
    readonly lineNo: number;
}

export interface Roster {
    readonly students: readonly RosterLine[];
    readonly admins: readonly RosterLine[];
}

const ADMIN = new Set(["admin", "yes", "true", "1", "instructor", "ta"]);
const STUDENT = new Set(["", "no", "false", "0", "student"]);
const HEADER_FIRST_CELL = new Set(["user", "username", "email", "e-mail", "login"]);

/**
 * Reads a roster CSV: one user name or e-mail address per line, optionally followed by an admin
 * column (admin/yes/true/1 or student/no/false/0/empty). A header line, blank lines and lines
 * starting with # are skipped. Returns the roster and one message per bad line, by line number.
 */
export function parseRoster(text: string): { roster: Roster; problems: string[] } {
    const students: RosterLine[] = [];
    const admins: RosterLine[] = [];
    const problems: string[] = [];
    const seen = new Map<string, number>();
    text.split(/\r?\n/).forEach((line, index) => {
        const lineNo = index + 1;
        const cells = line.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
        const [name, role = "", ...extra] = cells;
        if (name === "" && cells.length === 1 || name.startsWith("#")) return;
        if (index === 0 && HEADER_FIRST_CELL.has(name.toLowerCase())) return;
        if (extra.some((c) => c !== "")) {
            problems.push(`line ${lineNo}: expected at most two columns (name, admin), got ${JSON.stringify(line)}`);
            return;
        }
        if (!matches(RULES.rosterEntry, asciiLower(name))) {
            problems.push(`line ${lineNo}: ${JSON.stringify(name)} is not ${RULES.rosterEntry.expected}`);
            return;
        }
        const roleKey = role.toLowerCase();
        if (!ADMIN.has(roleKey) && !STUDENT.has(roleKey)) {
            problems.push(`line ${lineNo}: admin column ${JSON.stringify(role)} is not admin/yes/true/1 or student/no/false/0/empty`);
            return;
        }
        const lower = asciiLower(name);
        const first = seen.get(lower);
        if (first !== undefined) {
            problems.push(`line ${lineNo}: ${JSON.stringify(name)} is already on line ${first}`);
            return;
        }
        seen.set(lower, lineNo);
        (ADMIN.has(roleKey) ? admins : students).push({ name: lower, lineNo });
    });
    return { roster: { students, admins }, problems };
}

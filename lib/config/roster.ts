import { asciiLower, matches, RULES } from "./rules";

/** One roster entry, lower-cased, and the line of the file it is on. */
export interface RosterLine {
    readonly name: string;
    readonly lineNo: number;
}

export interface Roster {
    readonly students: readonly RosterLine[];
    readonly admins: readonly RosterLine[];
    readonly teachingAssistants: readonly RosterLine[];
}

type Role = keyof Roster;

/** The role column's words, lower-cased. The older admin column's yes/no words still mean instructor/student. */
const ROLES: Readonly<Record<string, Role>> = {
    "": "students", student: "students", no: "students", false: "students", 0: "students",
    instructor: "admins", admin: "admins", yes: "admins", true: "admins", 1: "admins",
    ta: "teachingAssistants", "teaching assistant": "teachingAssistants", "teaching-assistant": "teachingAssistants",
};
const HEADER_FIRST_CELL = new Set(["user", "username", "email", "e-mail", "login"]);

/**
 * Reads a roster CSV: one user name or e-mail address per line, optionally followed by a role
 * column (student, instructor or ta; see ROLES). A header line, blank lines and lines starting
 * with # are skipped. Returns the roster and one message per bad line, by line number.
 */
export function parseRoster(text: string): { roster: Roster; problems: string[] } {
    const roster: Record<Role, RosterLine[]> = { students: [], admins: [], teachingAssistants: [] };
    const problems: string[] = [];
    const seen = new Map<string, number>();
    text.split(/\r?\n/).forEach((line, index) => {
        const lineNo = index + 1;
        const cells = line.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
        const [name, role = "", ...extra] = cells;
        if (name === "" && cells.length === 1 || name.startsWith("#")) return;
        if (index === 0 && HEADER_FIRST_CELL.has(name.toLowerCase())) return;
        if (extra.some((c) => c !== "")) {
            problems.push(`line ${lineNo}: expected at most two columns (name, role), got ${JSON.stringify(line)}`);
            return;
        }
        if (!matches(RULES.rosterEntry, asciiLower(name))) {
            problems.push(`line ${lineNo}: ${JSON.stringify(name)} is not ${RULES.rosterEntry.expected}`);
            return;
        }
        const kind = Object.hasOwn(ROLES, role.toLowerCase()) ? ROLES[role.toLowerCase()] : undefined;
        if (kind === undefined) {
            problems.push(`line ${lineNo}: role ${JSON.stringify(role)} is not student (or empty), instructor (or admin) or ta`);
            return;
        }
        const lower = asciiLower(name);
        const first = seen.get(lower);
        if (first !== undefined) {
            problems.push(`line ${lineNo}: ${JSON.stringify(name)} is already on line ${first}`);
            return;
        }
        seen.set(lower, lineNo);
        roster[kind].push({ name: lower, lineNo });
    });
    return { roster, problems };
}

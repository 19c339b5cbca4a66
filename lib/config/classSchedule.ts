import { z } from "zod";
import { regExp, RULES } from "./rules";

/**
 * The class's meetings, as the instructor writes them ("Mon,Wed 09:00-10:15"), and what fits in the
 * Droplet's memory. This is the only parser of a meeting: class.json carries each meeting as days
 * and local times (classSchedule.meetings), which the server places in the class's time zone
 * (cloud-init/python/classroom_hub/schedule.py).
 */
export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Meeting {
    readonly days: readonly Weekday[];
    /** Local 24-hour time, HH:MM. An end earlier than the start runs past midnight. */
    readonly start: string;
    readonly end: string;
}

const DAY = WEEKDAYS.join("|");
const TIME = RULES.clockTime.pattern;
const MEETING = new RegExp(`^(${DAY})((?:,(?:${DAY}))*) (${TIME})-(${TIME})$`);

export const MEETING_EXAMPLE = "'Mon,Wed 09:00-10:15'";

/** A meeting, or a sentence saying what is wrong with it. */
export function parseMeeting(text: string): Meeting | string {
    const match = MEETING.exec(text.trim());
    if (!match) return `expected a meeting such as ${MEETING_EXAMPLE}: days among ${WEEKDAYS.join(",")}, then start-end in 24-hour time`;
    const [, first, more, start, end] = match;
    if (start === end) return `expected an end different from the start in '${text}'`;
    const named = new Set([first, ...more.split(",").filter(Boolean)]);
    return { days: WEEKDAYS.filter((d) => named.has(d)), start, end };
}

export const meetingSchema = z.string().transform((text, ctx) => {
    const meeting = parseMeeting(text);
    if (typeof meeting === "string") {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: meeting });
        return z.NEVER;
    }
    return meeting;
});

/** The IANA name as the time zone database spells it (america/new_york → America/New_York), or undefined. */
export function canonicalTimeZone(name: string): string | undefined {
    if (!regExp(RULES.timeZone).test(name)) return undefined;
    try {
        return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    } catch {
        return undefined;
    }
}

/**
 * Memory of DigitalOcean Droplet sizes, in GiB, by slug: the sizes a class hub is likely to use, from
 * https://docs.digitalocean.com/products/droplets/details/pricing/ (and `doctl compute size list`).
 */
export const DROPLET_MEMORY_GIB: Readonly<Record<string, number>> = {
    "s-1vcpu-1gb": 1, "s-1vcpu-2gb": 2, "s-2vcpu-2gb": 2, "s-2vcpu-4gb": 4, "s-4vcpu-8gb": 8, "s-8vcpu-16gb": 16,
    "c-2": 4, "c-4": 8, "c-8": 16, "c-16": 32, "c-32": 64,
    "g-2vcpu-8gb": 8, "g-4vcpu-16gb": 16, "g-8vcpu-32gb": 32, "g-16vcpu-64gb": 64, "g-32vcpu-128gb": 128,
    "m-2vcpu-16gb": 16, "m-4vcpu-32gb": 32, "m-8vcpu-64gb": 64, "m-16vcpu-128gb": 128, "m-32vcpu-256gb": 256,
};

/**
 * How far the students' memory limits together may exceed the Droplet's memory. A limit is a
 * ceiling, not a reservation: an idle JupyterLab server uses about 0.1 GiB (docs/performance.md)
 * and a class rarely has everyone near the limit at once. Beyond 4× the kernel's OOM killer would
 * end students' kernels as soon as a quarter of the class works near its limit.
 */
export const MEMORY_OVERCOMMIT = 4;

const UNIT_GIB: Readonly<Record<string, number>> = { K: 1 / 2 ** 20, M: 1 / 2 ** 10, G: 1, T: 2 ** 10 };

/** "512M", "2G" (RULES.memory) in GiB. */
export function sizeGib(size: string): number {
    return Number(size.slice(0, -1)) * UNIT_GIB[size.slice(-1)];
}

export interface MemoryFit {
    /** How many students' servers the Droplet holds at memoryLimit × MEMORY_OVERCOMMIT; undefined for a size not in the table. */
    readonly maxServers?: number;
    /** For `pulumi.log.warn`, when the roster needs more. */
    readonly warning?: string;
}

export function memoryFit(dropletSize: string, memoryLimit: string, rosterSize: number): MemoryFit {
    const memory = DROPLET_MEMORY_GIB[dropletSize];
    const limit = sizeGib(memoryLimit);
    if (memory === undefined) {
        return { warning: `dropletSize ${dropletSize}: its memory is not in lib/config/classSchedule.ts's table, so memoryLimit × roster size is not checked and warming starts every roster server` };
    }
    const maxServers = Math.floor((memory * MEMORY_OVERCOMMIT) / limit);
    if (rosterSize <= maxServers) return { maxServers };
    const needGib = (rosterSize * limit) / MEMORY_OVERCOMMIT;
    const fitting = Object.entries(DROPLET_MEMORY_GIB).filter(([, gib]) => gib >= needGib)
        .sort(([a, x], [b, y]) => x - y || a.localeCompare(b)).slice(0, 4).map(([slug]) => slug);
    const instead = fitting.length ? `Sizes that fit: ${fitting.join(", ")} (pulumi config set dropletSize ${fitting[0]})` : "No size in the table fits";
    return {
        maxServers,
        warning: `dropletSize ${dropletSize} has ${memory} GiB: ${rosterSize} students × memoryLimit ${memoryLimit} exceed it more than ${MEMORY_OVERCOMMIT}× ` +
            `(room for ${maxServers}; warming starts at most that many). ${instead}, or lower memoryLimit`,
    };
}

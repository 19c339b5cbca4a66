import { Meeting, WEEKDAYS } from "../../lib/config/classSchedule";

/** One CronJob's schedule: a standard five-field cron line, read in the class's time zone. */
export interface CronLine {
    /** Stable and unique per action and local time, such as up-0850: a Kubernetes name's tail. */
    readonly name: string;
    readonly schedule: string;
}

/** When the user placeholders scale up (before meetings) and back down (after them). */
export interface PlaceholderScaling {
    /** The IANA zone the CronJobs read their lines in (CronJob spec.timeZone), so DST moves nothing. */
    readonly timeZone: string;
    readonly up: readonly CronLine[];
    /** Empty when the warm windows cover the whole week: nothing to scale down to. */
    readonly down: readonly CronLine[];
}

const DAY = 24 * 60;
const WEEK = 7 * DAY;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Each meeting's warm window, [start − lead, end), in minutes of a local week from Monday 00:00,
 * merged where windows overlap or touch (so one meeting's end never scales down the next one's
 * warm-up), on a circular week: a Sunday-night meeting can run into Monday.
 */
export function warmWindows(meetings: readonly Meeting[], leadMinutes: number): [number, number][] {
    const windows = meetings.flatMap((m) => m.days.map((day): [number, number] => {
        const start = WEEKDAYS.indexOf(day) * DAY + minutesOf(m.start);
        // An end earlier than the start is on the next day (lib/config/classSchedule.ts).
        const end = WEEKDAYS.indexOf(day) * DAY + minutesOf(m.end) + (minutesOf(m.end) < minutesOf(m.start) ? DAY : 0);
        const from = ((start - leadMinutes) % WEEK + WEEK) % WEEK;
        return [from, from + (end - start + leadMinutes)];
    })).sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [from, to] of windows) {
        const last = merged.at(-1);
        if (last && from <= last[1]) last[1] = Math.max(last[1], to);
        else merged.push([from, to]);
    }
    // The week's last window may run past Sunday midnight into the first one.
    while (merged.length > 1 && merged.at(-1)![1] - WEEK >= merged[0][0]) {
        const first = merged.shift()!;
        merged.at(-1)![1] = Math.max(merged.at(-1)![1], first[1] + WEEK);
    }
    return merged;
}

/** Moments of the week → cron lines, one per local time of day, its days listed (cron's 0 is Sunday). */
function cronLines(action: "up" | "down", moments: readonly number[]): CronLine[] {
    const byTime = new Map<number, Set<number>>();
    for (const moment of moments) {
        const at = ((moment % WEEK) + WEEK) % WEEK;
        const days = byTime.get(at % DAY) ?? new Set<number>();
        days.add((Math.floor(at / DAY) + 1) % 7);
        byTime.set(at % DAY, days);
    }
    return [...byTime.entries()].sort(([a], [b]) => a - b).map(([time, days]) => {
        const [hour, minute] = [Math.floor(time / 60), time % 60];
        return {
            name: `${action}-${String(hour).padStart(2, "0")}${String(minute).padStart(2, "0")}`,
            schedule: `${minute} ${hour} * * ${[...days].sort((a, b) => a - b).join(",")}`,
        };
    });
}

/**
 * The placeholders' schedule for a class: scale up leadMinutes before each meeting, down at its
 * end, as cron lines in the class's own time zone. The lines are wall-clock times and the CronJobs
 * carry the zone, so a 09:00 meeting is warmed at 08:50 local time in summer and in winter.
 */
export function placeholderScaling(schedule: { readonly timezone: string; readonly leadMinutes: number; readonly meetings: readonly Meeting[] }): PlaceholderScaling {
    const windows = warmWindows(schedule.meetings, schedule.leadMinutes);
    const always = windows.some(([from, to]) => to - from >= WEEK);
    return {
        timeZone: schedule.timezone,
        up: cronLines("up", windows.map(([from]) => from)),
        down: always ? [] : cronLines("down", windows.map(([, to]) => to)),
    };
}

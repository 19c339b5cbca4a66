"""When the class meets: class.json's classSchedule, turned into moments in time.

The stack parses the instructor's "Mon,Wed 09:00-10:15" (lib/config/classSchedule.ts) and delivers each
meeting as days and local start and end times; this module only places them in the class's time
zone. A meeting whose end is earlier than its start runs past midnight into the next day. Local
times are converted with zoneinfo on each meeting's own date, so a meeting stays at 09:00 local time
across a change to or from daylight saving time.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# In datetime.weekday() order.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Meeting:
    """One meeting, in UTC."""
    start: datetime
    end: datetime


def _meetings_on(schedule: dict, day: date) -> list[Meeting]:
    zone = ZoneInfo(schedule["timezone"])
    found = []
    for meeting in schedule["meetings"]:
        if DAYS[day.weekday()] not in meeting["days"]:
            continue
        start_time, end_time = time.fromisoformat(meeting["start"]), time.fromisoformat(meeting["end"])
        end_day = day if end_time > start_time else day + timedelta(days=1)
        found.append(Meeting(
            datetime.combine(day, start_time, tzinfo=zone).astimezone(timezone.utc),
            datetime.combine(end_day, end_time, tzinfo=zone).astimezone(timezone.utc),
        ))
    return found


def warm_meeting(schedule: dict, now: datetime) -> Meeting | None:
    """The meeting whose servers should be running at `now` (aware): from leadMinutes before its
    start until its end; None between meetings."""
    lead = timedelta(minutes=schedule["leadMinutes"])
    today = now.astimezone(ZoneInfo(schedule["timezone"])).date()
    # Yesterday's meeting may run past midnight; tomorrow's lead time may begin before it.
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        for meeting in _meetings_on(schedule, day):
            if meeting.start - lead <= now < meeting.end:
                return meeting
    return None

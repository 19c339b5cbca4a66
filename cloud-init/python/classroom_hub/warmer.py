"""The class warmer, a JupyterHub service (`python -m classroom_hub.warmer`, see services.py): from
classSchedule.leadMinutes before each class meeting until its end, and while `classroom-warm` asks,
it starts the roster's servers a few at a time, so a student who logs in finds theirs running.

During that window it marks every running roster server active (every minute, or a quarter of
idleTimeoutSeconds when that is shorter): the idle culler
counts idleness from the last activity, so it leaves warm servers alone during the meeting and
applies its normal rules from the meeting's end on. Its role (services.py) lets it start servers and
mark activity for the roster's students only, and it never stops anything. It never lets more servers
run than classSchedule.maxWarmServers (what fits in the Droplet's memory, lib/config/classSchedule.ts).
"""

import argparse
import logging
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from .schedule import warm_meeting
from .staff import roster_students
from .settings import load_settings

# `classroom-warm` writes the end of an unscheduled warm window here (ISO 8601, UTC).
WARM_NOW_FILE = Path(os.environ.get("CLASSROOM_WARM_NOW", "/var/lib/jupyterhub-classroom/warm-until"))
# How often it looks at the clock and the servers: quickly while it warms, so batches follow each other.
WARMING_LOOP_SECONDS = 3
IDLE_LOOP_SECONDS = 15

log = logging.getLogger("class-warmer")


def warm_until(schedule: dict, now: datetime) -> datetime | None:
    """The end of the warm window `now` is in, or None."""
    meeting = warm_meeting(schedule, now)
    ends = [meeting.end] if meeting else []
    try:
        asked = datetime.fromisoformat(WARM_NOW_FILE.read_text().strip())
        if asked > now:
            ends.append(asked)
    except (FileNotFoundError, ValueError):
        pass
    return max(ends, default=None)


class Hub:
    """The users API with the service's own token."""

    def __init__(self, api_url: str, token: str):
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def server_state(self, name: str) -> str:
        """running, pending or stopped."""
        response = self.session.get(f"{self.api_url}/users/{name}", timeout=30)
        if response.status_code == 404:
            # Never logged in and not yet in the hub's database: nothing to start.
            return "unknown"
        response.raise_for_status()
        server = response.json().get("servers", {}).get("")
        if not server:
            return "stopped"
        return "running" if server.get("ready") else "pending"

    def start(self, name: str) -> None:
        response = self.session.post(f"{self.api_url}/users/{name}/server", timeout=30)
        # 400: it started meanwhile (the student was quicker).
        if response.status_code not in (201, 202, 400):
            response.raise_for_status()

    def mark_active(self, name: str, now: datetime) -> None:
        stamp = now.isoformat().replace("+00:00", "Z")
        response = self.session.post(f"{self.api_url}/users/{name}/activity", timeout=30,
                                     json={"last_activity": stamp, "servers": {"": {"last_activity": stamp}}})
        response.raise_for_status()


class Warmer:
    def __init__(self, hub: Hub, students: list[str], batch: int, max_servers: int | None, idle_seconds: int):
        self.hub, self.students, self.batch, self.max_servers = hub, students, batch, max_servers
        # Often enough that the culler never sees a warm server idle for its whole timeout.
        self.touch_every = timedelta(seconds=min(60, idle_seconds / 4) if idle_seconds else 60)
        self.touched: dict[str, datetime] = {}

    def step(self, now: datetime) -> int:
        """One look at the roster's servers: starts up to `batch` more, marks running ones active.
        Returns how many are not running yet."""
        states = {name: self.hub.server_state(name) for name in self.students}
        running = [n for n, s in states.items() if s == "running"]
        pending = [n for n, s in states.items() if s == "pending"]
        stopped = [n for n, s in states.items() if s == "stopped"]
        room = len(self.students) if self.max_servers is None else self.max_servers - len(running) - len(pending)
        for name in stopped[:max(0, min(self.batch - len(pending), room))]:
            log.info("starting %s's server", name)
            self.hub.start(name)
        for name in running:
            if now - self.touched.get(name, datetime.min.replace(tzinfo=timezone.utc)) >= self.touch_every:
                self.hub.mark_active(name, now)
                self.touched[name] = now
        if room <= 0 and stopped:
            log.warning("%d servers run, as many as fit (classSchedule.maxWarmServers); %d left cold",
                        len(running) + len(pending), len(stopped))
            return 0
        return len(stopped) + len(pending)


def serve() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)1.1s %(asctime)s class-warmer] %(message)s")
    settings = load_settings()
    schedule = settings["classSchedule"]
    hub = Hub(os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
    # As many at a time as the Droplet has cores: the hub's admission queue takes them in turn.
    warmer = Warmer(hub, roster_students(settings["auth"]), batch=os.cpu_count() or 1,
                    max_servers=schedule["maxWarmServers"], idle_seconds=settings["limits"]["idleTimeoutSeconds"])
    was_warm = False
    while True:
        now = datetime.now(timezone.utc)
        until = warm_until(schedule, now)
        if until and not was_warm:
            log.info("warm until %s: starting the roster's servers", until.isoformat())
        if was_warm and not until:
            log.info("the warm window ended: the idle culler's normal rules apply")
        was_warm = until is not None
        cold = 0
        if until:
            try:
                cold = warmer.step(now)
            except requests.RequestException as err:
                log.warning("the hub's API failed: %s; trying again", err)
        pause = WARMING_LOOP_SECONDS if until and cold else IDLE_LOOP_SECONDS
        time.sleep(min(pause, warmer.touch_every.total_seconds()) if until else pause)


def warm_now(argv: list[str]) -> int:
    """`sudo classroom-warm`: warm the class now, for a surprise exam or an extra session."""
    parser = argparse.ArgumentParser(prog="classroom-warm", description=warm_now.__doc__.split(": ", 1)[1])
    parser.add_argument("--minutes", type=int, default=90, help="how long to keep servers warm (default 90)")
    parser.add_argument("--stop", action="store_true", help="end an earlier classroom-warm now")
    args = parser.parse_args(argv)
    if args.stop:
        WARM_NOW_FILE.unlink(missing_ok=True)
        print("classroom-warm: no unscheduled warm window; the class schedule and the idle culler decide")
        return 0
    if not 1 <= args.minutes <= 24 * 60:
        parser.error("--minutes: expected 1 to 1440")
    until = datetime.now(timezone.utc) + timedelta(minutes=args.minutes)
    WARM_NOW_FILE.write_text(until.isoformat() + "\n")
    print(f"classroom-warm: the roster's servers start within {IDLE_LOOP_SECONDS} s, a few at a time, and stay "
          f"warm until {until:%H:%M} UTC (`journalctl -u jupyterhub` shows class-warmer's progress)")
    return 0


if __name__ == "__main__":
    sys.exit(serve())

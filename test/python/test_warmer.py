"""The class warmer's decisions (classroom_hub.warmer) against a stand-in for the hub's users API
that keeps servers' states as the hub would: a few started at a time, never more than fit, running
ones marked active, and `classroom-warm`'s window. The e2e test runs it against the real hub."""

from datetime import datetime, timedelta, timezone

import pytest

from classroom_hub import warmer
from classroom_hub.staff import roster_students
from classroom_hub.warmer import Warmer, warm_now, warm_until

NOW = datetime(2027, 3, 8, 13, 55, tzinfo=timezone.utc)
NO_MEETINGS = {"timezone": "UTC", "leadMinutes": 10, "meetings": [], "maxWarmServers": None}


class StandInHub:
    """Servers go stopped → pending (started) → running (when the test says)."""

    def __init__(self, names):
        self.states = dict.fromkeys(names, "stopped")
        self.started, self.marked = [], []

    def server_state(self, name):
        return self.states[name]

    def start(self, name):
        assert self.states[name] == "stopped", f"{name} was started twice"
        self.states[name] = "pending"
        self.started.append(name)

    def mark_active(self, name, now):
        assert self.states[name] == "running"
        self.marked.append((name, now))

    def finish_starts(self):
        for name, state in self.states.items():
            if state == "pending":
                self.states[name] = "running"


def test_it_starts_a_few_at_a_time_until_every_roster_server_runs():
    hub = StandInHub([f"s{i}" for i in range(5)])
    class_warmer = Warmer(hub, list(hub.states), batch=2, max_servers=None, idle_seconds=3600)
    assert class_warmer.step(NOW) == 5
    assert hub.started == ["s0", "s1"]
    assert class_warmer.step(NOW) == 5, "it started more while two were still starting"
    hub.finish_starts()
    class_warmer.step(NOW)
    hub.finish_starts()
    class_warmer.step(NOW)
    hub.finish_starts()
    assert class_warmer.step(NOW) == 0
    assert hub.started == ["s0", "s1", "s2", "s3", "s4"]


def test_it_never_runs_more_servers_than_fit():
    hub = StandInHub([f"s{i}" for i in range(6)])
    hub.states["s5"] = "running"  # a student who started their own
    class_warmer = Warmer(hub, list(hub.states), batch=10, max_servers=3, idle_seconds=3600)
    class_warmer.step(NOW)
    hub.finish_starts()
    class_warmer.step(NOW)
    assert sum(state == "running" for state in hub.states.values()) == 3
    assert hub.started == ["s0", "s1"]


def test_running_servers_are_marked_active_often_enough_for_the_culler():
    hub = StandInHub(["ada"])
    hub.states["ada"] = "running"
    class_warmer = Warmer(hub, ["ada"], batch=2, max_servers=None, idle_seconds=60)
    for seconds in range(0, 61, 5):
        class_warmer.step(NOW + timedelta(seconds=seconds))
    marked = [when for _, when in hub.marked]
    assert max(b - a for a, b in zip(marked, marked[1:])) <= timedelta(seconds=15)
    assert marked[0] == NOW


def test_course_staff_are_not_the_rosters_students():
    auth = {"allowedUsers": ["Ada@example.edu", "grace@example.edu", "prof@example.edu", "tara@example.edu"],
            "adminUsers": ["prof@example.edu"], "teachingAssistants": ["tara@example.edu"]}
    assert roster_students(auth) == ["ada", "grace"]


def test_classroom_warm_opens_a_window_and_stop_closes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(warmer, "WARM_NOW_FILE", tmp_path / "warm-until")
    now = datetime.now(timezone.utc)
    assert warm_until(NO_MEETINGS, now) is None
    assert warm_now(["--minutes", "30"]) == 0
    until = warm_until(NO_MEETINGS, now)
    assert until is not None and timedelta(minutes=29) < until - now <= timedelta(minutes=31)
    assert warm_until(NO_MEETINGS, now + timedelta(minutes=31)) is None, "the window outlived its minutes"
    assert warm_now(["--stop"]) == 0
    assert warm_until(NO_MEETINGS, now) is None
    with pytest.raises(SystemExit):
        warm_now(["--minutes", "0"])
    assert "within" in capsys.readouterr().out

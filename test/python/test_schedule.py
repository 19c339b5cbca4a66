"""classroom_hub.schedule places class meetings in time, and class.json's classSchedule is checked,
from the shared table test/cases/class-schedule.json (lib/config/classSchedule.ts parses the same entries)."""

import json
from datetime import datetime

import pytest
from conftest import REPO, class_settings

from classroom_hub.schedule import Meeting, warm_meeting
from classroom_hub.settings import SettingsError, check_settings

CASES = json.loads((REPO / "test/cases/class-schedule.json").read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("case", CASES["times"], ids=[c["why"] for c in CASES["times"]])
def test_the_warm_window_of_each_case(case):
    schedule = {"timezone": case["timezone"], "leadMinutes": case["leadMinutes"],
                "meetings": [CASES["meetings"][entry] for entry in case["entries"]], "maxWarmServers": None}
    expected = case["warm"] and Meeting(utc(case["warm"]["start"]), utc(case["warm"]["end"]))
    assert warm_meeting(schedule, utc(case["now"])) == expected


def test_every_parsed_meeting_is_a_classSchedule_the_server_accepts():
    settings = class_settings()
    settings["classSchedule"]["meetings"] = list(CASES["meetings"].values())
    check_settings(settings)


@pytest.mark.parametrize(("change", "named"), [
    (lambda s: s.update(timezone="Mars/Olympus_Mons"), "classSchedule.timezone"),
    (lambda s: s.update(timezone="../../etc/passwd"), "classSchedule.timezone"),
    (lambda s: s["meetings"][0].update(start="9am"), r"classSchedule.meetings\[0\].start"),
    (lambda s: s["meetings"][0].update(days=["Funday"]), r"classSchedule.meetings\[0\].days\[0\]"),
    (lambda s: s["meetings"][0].update(days=[]), r"classSchedule.meetings\[0\].days"),
    (lambda s: s.update(leadMinutes=-5), "classSchedule.leadMinutes"),
    (lambda s: s.pop("meetings"), "classSchedule.meetings: is missing"),
])
def test_a_bad_schedule_is_refused_naming_classSchedule(change, named):
    settings = class_settings()
    change(settings["classSchedule"])
    with pytest.raises(SettingsError, match=named):
        check_settings(settings)

"""The students' sandbox (classroom_hub/sandbox.py): systemd's own verdict on a student's unit.

systemd-analyze reads the unit offline, so no systemd needs to run here; the booted server
(test:e2e) measures the real unit the same way and proves what the sandbox closes.
"""

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from systemdspawner import SystemdSpawner

from classroom_hub.grading import unit_properties as grading_properties
from classroom_hub.sandbox import student_unit_properties
from classroom_hub.spawner import ClassroomSpawner

HOME = "/srv/classroom/home/jupyter-ada"
EXPOSURE_LIMIT = 3.0


EXCHANGE = "/srv/classroom/grading/exchange"


@pytest.fixture(params=["no grading", "grading"])
def student_unit(tmp_path, request):
    """A student's server unit as SystemdSpawner asks systemd for it: the account, the limits, the
    sandbox, with and without nbgrader's exchange."""
    grading = [grading_properties(Path(EXCHANGE))] if request.param == "grading" else []
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    lines = ["[Service]", "ExecStart=/usr/bin/python3 -c pass", "User=jupyter-ada", "Group=jupyterhub-students",
             f"WorkingDirectory={HOME}", "MemoryMax=2G", "CPUQuota=100%", "RuntimeDirectory=jupyter-ada-singleuser",
             *(f"{name}={value}" for name, value in student_unit_properties(HOME, *grading).items())]
    unit = tmp_path / "jupyter-ada-singleuser.service"
    unit.write_text("\n".join(lines) + "\n")
    return unit


def test_systemd_accepts_every_property(student_unit):
    result = subprocess.run(["systemd-analyze", "verify", str(student_unit)], capture_output=True, text=True)
    ours = [line for line in (result.stdout + result.stderr).splitlines() if student_unit.name in line]
    assert ours == [] and result.returncode == 0, result.stdout + result.stderr


def test_a_students_unit_is_exposed_no_more_than_3(student_unit):
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", f"--threshold={int(EXPOSURE_LIMIT * 10)}",
                             str(student_unit)], capture_output=True, text=True)
    figure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert figure, result.stdout + result.stderr
    print(f"systemd-analyze security: {figure.group(1)}")
    assert float(figure.group(1)) <= EXPOSURE_LIMIT and result.returncode == 0, result.stdout


def test_the_home_is_the_one_writable_place():
    properties = student_unit_properties(HOME)
    assert properties["ProtectSystem"] == "strict" and properties["ReadWritePaths"] == HOME
    assert properties["TemporaryFileSystem"].split() == ["/dev/shm:mode=1777,nosuid,nodev", "/run/lock:mode=1777,nosuid,nodev"]
    assert properties["ProtectProc"] == "invisible" and properties["CapabilityBoundingSet"] == ""
    # SystemdSpawner 1.0.2 formats every property value as a string template: lists would break it.
    assert all(isinstance(value, str) and "{" not in value for value in properties.values())


def test_with_grading_the_exchange_is_writable_too_and_the_formgraders_port_closed():
    properties = student_unit_properties(HOME, grading_properties(Path(EXCHANGE)))
    assert properties["ReadWritePaths"] == f"{HOME} -{EXCHANGE}"
    assert properties["SocketBindDeny"] == "tcp:8097"
    assert {k: v for k, v in properties.items() if k not in ("ReadWritePaths", "SocketBindDeny")} == \
        {k: v for k, v in student_unit_properties(HOME).items() if k != "ReadWritePaths"}


def test_the_spawner_puts_each_student_in_the_sandbox_of_their_own_home(monkeypatch):
    account = SimpleNamespace(pw_dir=HOME)
    monkeypatch.setattr("classroom_hub.spawner.pwd.getpwnam", lambda name: account if name == "jupyter-ada" else None)
    started = []

    async def parent_start(self):
        started.append(dict(self.unit_extra_properties))

    monkeypatch.setattr(SystemdSpawner, "start", parent_start)
    spawner = ClassroomSpawner(user=SimpleNamespace(name="ada", id=1))
    asyncio.run(spawner.start())
    spawner.exchange = EXCHANGE
    asyncio.run(spawner.start())
    assert started == [student_unit_properties(HOME), student_unit_properties(HOME, grading_properties(Path(EXCHANGE)))]

"""The shared data folder (classroom_hub/shared_data.py) with real accounts and real permissions:
staff write it, students only read it, and their sandboxes say the same."""

import asyncio
import grp
import os
import pwd
import stat
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from systemdspawner import SystemdSpawner

from classroom_hub.accounts import ensure_account
from classroom_hub.sandbox import student_unit_properties
from classroom_hub.shared_data import STAFF_GROUP, link_into_home, prepare_folder, unit_properties
from classroom_hub.spawner import ClassroomSpawner

SHARED = {"directory": "shared"}


@pytest.fixture
def volume(world_dir, as_root):
    """/srv/classroom of a test: homes and the shared folder side by side; the accounts made here go at the end."""
    (world_dir / "home").mkdir(mode=0o755)
    made = []

    def account(name: str) -> pwd.struct_passwd:
        entry = ensure_account(name, world_dir / "home")
        made.append(name)
        return entry

    yield SimpleNamespace(root=world_dir / "shared", account=account)
    for name in made:
        subprocess.run(["userdel", "--", name], check=True)


def as_user(account: pwd.struct_passwd, code: str, *groups: str) -> subprocess.CompletedProcess:
    """Python as the account (with extra groups, as a unit's SupplementaryGroups gives them)."""
    extra = [arg for group in groups for arg in ("-G", group)]
    return subprocess.run(["runuser", "-u", account.pw_name, *extra, "--", "/usr/bin/python3", "-c", code],
                          capture_output=True, text=True)


def write(path: Path) -> str:
    return f"""
try:
    open({str(path)!r}, "w").write("x")
    print("wrote")
except OSError as e:
    print(type(e).__name__)
"""


def test_staff_write_the_folder_and_students_only_read_it(volume):
    assert prepare_folder(SHARED, volume.root).endswith("open to students as ~/shared")
    st = volume.root.stat()
    assert (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == (0, STAFF_GROUP, 0o2775)
    prof = volume.account("jupyter-term-prof")
    ada = volume.account("jupyter-term-ada")

    staff_wrote = as_user(prof, write(volume.root / "week1.csv"), STAFF_GROUP)
    assert staff_wrote.stdout.strip() == "wrote", staff_wrote.stderr
    # setgid: the staff's file belongs to the staff's group, so other staff may replace it.
    assert grp.getgrgid((volume.root / "week1.csv").stat().st_gid).gr_name == STAFF_GROUP

    read = as_user(ada, f"print(open({str(volume.root / 'week1.csv')!r}).read())")
    assert read.stdout.strip() == "x", read.stderr
    for target in (volume.root / "mine.csv", volume.root / "week1.csv"):
        assert as_user(ada, write(target)).stdout.strip() == "PermissionError"
    removed = as_user(ada, f"import os; os.unlink({str(volume.root / 'week1.csv')!r})")
    assert "PermissionError" in removed.stderr
    # Without the group (a staff member's own shell outside the hub) not even staff write.
    assert as_user(prof, write(volume.root / "other.csv")).stdout.strip() == "PermissionError"


def test_turned_off_the_folder_closes_to_students_and_keeps_every_file(volume):
    prepare_folder(SHARED, volume.root)
    (volume.root / "data.csv").write_text("kept\n")
    assert "closed to students" in prepare_folder(None, volume.root)
    assert stat.S_IMODE(volume.root.stat().st_mode) == 0o2770
    assert (volume.root / "data.csv").read_text() == "kept\n"
    ada = volume.account("jupyter-term-ada")
    assert "PermissionError" in as_user(ada, f"open({str(volume.root / 'data.csv')!r})").stderr
    prepare_folder(SHARED, volume.root)
    assert as_user(ada, f"print(open({str(volume.root / 'data.csv')!r}).read(), end='')").stdout == "kept\n"


def test_never_made_it_is_not_made_when_off():
    assert prepare_folder(None, Path("/nonexistent-classroom/shared")) == "none"


def test_a_volume_that_is_not_mounted_gets_no_folder(tmp_path):
    with pytest.raises(OSError, match="is the students' volume mounted"):
        prepare_folder(SHARED, tmp_path / "srv" / "shared")


def test_the_link_in_each_home_is_made_kept_and_removed_but_a_students_own_folder_stays(volume):
    prepare_folder(SHARED, volume.root)
    ada = volume.account("jupyter-term-ada")
    home = Path(ada.pw_dir)
    assert link_into_home(ada, SHARED, volume.root) == "linked ~/shared"
    link = home / "shared"
    assert os.readlink(link) == str(volume.root) and link.lstat().st_uid == ada.pw_uid
    assert link_into_home(ada, SHARED, volume.root) == "linked already"
    # Through the link as through the folder: readable, not writable.
    (volume.root / "notes.md").write_text("read me\n")
    assert as_user(ada, f"print(open({str(link / 'notes.md')!r}).read(), end='')").stdout == "read me\n"
    assert as_user(ada, write(link / "mine.md")).stdout.strip() == "PermissionError"

    assert link_into_home(ada, None, volume.root) == "removed ~/shared"
    assert not os.path.lexists(link)
    link.mkdir()
    (link / "essay.md").write_text("the student's\n")
    assert link_into_home(ada, SHARED, volume.root) == "~/shared is the student's own; not linked"
    assert link_into_home(ada, None, volume.root) == "nothing linked"
    assert (link / "essay.md").read_text() == "the student's\n"
    renamed = {"directory": "datasets"}
    assert link_into_home(ada, renamed, volume.root) == "linked ~/datasets"


def test_only_staff_servers_may_write_the_folder_in_their_sandbox(monkeypatch):
    root = Path("/srv/classroom/shared")
    homes = {"jupyter-prof": "/srv/classroom/home/jupyter-prof", "jupyter-ada": "/srv/classroom/home/jupyter-ada"}
    monkeypatch.setattr("classroom_hub.spawner.pwd.getpwnam", lambda name: SimpleNamespace(pw_dir=homes[name]))
    started = {}

    async def parent_start(self):
        started[self.user.name] = dict(self.unit_extra_properties)

    monkeypatch.setattr(SystemdSpawner, "start", parent_start)
    for name in ("prof", "ada"):
        spawner = ClassroomSpawner(user=SimpleNamespace(name=name, id=1), shared_data=str(root), course_staff=["prof"])
        asyncio.run(spawner.start())
    assert started["prof"]["ReadWritePaths"] == f"{homes['jupyter-prof']} -{root}"
    assert started["prof"]["SupplementaryGroups"] == STAFF_GROUP
    assert started["ada"] == student_unit_properties(homes["jupyter-ada"])
    assert "SupplementaryGroups" not in started["ada"] and started["ada"]["ProtectSystem"] == "strict"
    assert unit_properties(root, staff=False) == {}


def test_systemd_accepts_a_staff_servers_unit(tmp_path):
    home = "/srv/classroom/home/jupyter-prof"
    properties = student_unit_properties(home, unit_properties(Path("/srv/classroom/shared"), staff=True))
    unit = tmp_path / "jupyter-prof-singleuser.service"
    unit.write_text("\n".join(["[Service]", "ExecStart=/usr/bin/python3 -c pass", "User=jupyter-prof",
                               *(f"{k}={v}" for k, v in properties.items())]) + "\n")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert [line for line in (result.stdout + result.stderr).splitlines() if unit.name in line] == [], result.stderr

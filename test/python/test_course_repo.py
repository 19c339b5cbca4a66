"""The pre-spawn hook with real git repositories served over HTTP and real Linux accounts.

The student's copy runs through fake_systemd/systemd-run (this machine runs no systemd): the
student's uid, gid, directory and environment are real; the unit's sandbox is proven by test:e2e.
"""

import asyncio
import base64
import logging
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from git_http import GitHttpServer, SilentServer, Upstream

from classroom_hub.spawn_hook import make_pre_spawn_hook
from classroom_hub.student_copy import beside_name

TOKEN = "ghp_classroomTestToken0123456789"
SYSTEMD_RUN = str(Path(__file__).resolve().parent / "fake_systemd" / "systemd-run")


def spawner_of(name: str) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(name=name), log=logging.getLogger("test.spawner"),
                           mem_limit=2 * 1024**3, cpu_limit=1.0)


class Class:
    """A hub's view of one class: upstream repository, HTTP server, homes, mirror and the hook."""

    def __init__(self, root: Path, python: str, token: str | None = None, **hook_options):
        self.upstream = Upstream(root)
        self.upstream.commit({"lab1.ipynb": '{"cells": []}\n', "README.md": "Welcome\n", "data/points.csv": "x,y\n"})
        self.server = GitHttpServer(root, token=token)
        self.homes = root / "home"
        self.homes.mkdir()
        self.mirror = root / "state" / "course-mirror.git"
        self.mirror.parent.mkdir()
        course = {"repositoryUrl": self.server.url(self.upstream), "branch": "main", "directory": "engr101"}
        options = {"fetch_interval": 0, "timeout": 30, "systemd_run": SYSTEMD_RUN, **hook_options}
        self.hook = make_pre_spawn_hook(course, token, homes=self.homes, mirror=self.mirror, python=python, **options)

    def spawn(self, *names: str) -> None:
        async def spawn_all():
            await asyncio.gather(*(self.hook(spawner_of(n)) for n in names))
        asyncio.run(spawn_all())

    def copy(self, name: str) -> Path:
        return self.homes / f"jupyter-{name}" / "engr101"


@pytest.fixture
def course(world_dir, student_python, accounts):
    c = Class(world_dir, student_python)
    yield c
    c.server.close()


def write_as(uid: int, path: Path, text: str) -> None:
    """What the student does in JupyterLab (the test runs as root)."""
    path.write_text(text)
    os.chown(path, uid, uid)


def owners(home: Path) -> set[int]:
    found = {home.stat().st_uid}
    for directory, names, files in os.walk(home):
        found |= {os.lstat(os.path.join(directory, n)).st_uid for n in names + files}
    return found


def test_first_spawn_creates_the_account_and_a_copy_the_student_owns(course):
    course.spawn("ada")
    account = pwd.getpwnam("jupyter-ada")
    home = course.homes / "jupyter-ada"
    assert 20000 <= account.pw_uid <= 59999
    assert account.pw_dir == str(home)
    assert (home.stat().st_mode & 0o777) == 0o700
    assert (course.copy("ada") / "lab1.ipynb").read_text() == '{"cells": []}\n'
    assert (course.copy("ada") / "data" / "points.csv").read_text() == "x,y\n"
    # Everything, .git included, was written by the student, never by root.
    assert owners(home) == {account.pw_uid}
    status = subprocess.run(["runuser", "-u", "jupyter-ada", "--", "git", "-C", str(course.copy("ada")), "status",
                             "--porcelain"], capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_later_spawns_bring_new_files_and_keep_what_the_student_changed_or_made(course):
    course.spawn("ada")
    copy = course.copy("ada")
    uid = pwd.getpwnam("jupyter-ada").pw_uid
    write_as(uid, copy / "lab1.ipynb", '{"cells": ["my answer"]}\n')
    write_as(uid, copy / "notes.txt", "mine\n")
    (copy / "README.md").unlink()
    course.upstream.commit({
        "lab1.ipynb": '{"cells": ["hint"]}\n',
        "lab2.ipynb": '{"cells": []}\n',
        "notes.txt": "the course's notes\n",
    })
    commit = course.upstream.commit({"data/points.csv": None})  # removed upstream: the student keeps it

    course.spawn("ada")

    assert (copy / "lab2.ipynb").read_text() == '{"cells": []}\n'
    assert (copy / "lab1.ipynb").read_text() == '{"cells": ["my answer"]}\n'
    assert (copy / f"lab1.upstream-{commit[:7]}.ipynb").read_text() == '{"cells": ["hint"]}\n'
    assert (copy / "notes.txt").read_text() == "mine\n"
    assert (copy / f"notes.upstream-{commit[:7]}.txt").read_text() == "the course's notes\n"
    assert (copy / "README.md").read_text() == "Welcome\n"  # deleted by the student: restored
    assert (copy / "data" / "points.csv").read_text() == "x,y\n"
    assert owners(course.homes / "jupyter-ada") == {uid}


def test_a_file_the_student_did_not_touch_follows_the_course(course):
    course.spawn("ada")
    course.upstream.commit({"README.md": "Welcome, updated\n"})
    course.spawn("ada")
    assert (course.copy("ada") / "README.md").read_text() == "Welcome, updated\n"
    assert not list(course.copy("ada").glob("README.upstream-*"))


def test_a_student_who_commits_keeps_their_commits_and_their_files(course):
    course.spawn("ada")
    copy = course.copy("ada")
    uid = pwd.getpwnam("jupyter-ada").pw_uid
    write_as(uid, copy / "lab1.ipynb", '{"cells": ["committed answer"]}\n')
    student_git = ["runuser", "-u", "jupyter-ada", "--", "git", "-C", str(copy), "-c", "user.name=Ada",
                   "-c", "user.email=ada@example.edu"]
    subprocess.run([*student_git, "commit", "--quiet", "-am", "my answer"], check=True)
    mine = subprocess.run([*student_git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
    commit = course.upstream.commit({"lab1.ipynb": '{"cells": ["hint"]}\n'})
    course.spawn("ada")
    assert (copy / "lab1.ipynb").read_text() == '{"cells": ["committed answer"]}\n'
    assert (copy / f"lab1.upstream-{commit[:7]}.ipynb").read_text() == '{"cells": ["hint"]}\n'
    assert subprocess.run([*student_git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout == mine


def test_a_course_directory_the_student_made_is_adopted_without_losing_anything(course):
    course.spawn("ada")
    shutil.rmtree(course.copy("ada"))
    uid = pwd.getpwnam("jupyter-ada").pw_uid
    course.copy("ada").mkdir()
    os.chown(course.copy("ada"), uid, uid)
    write_as(uid, course.copy("ada") / "README.md", "my own readme\n")
    course.spawn("ada")
    assert (course.copy("ada") / "README.md").read_text() == "my own readme\n"
    assert (course.copy("ada") / "lab1.ipynb").exists()
    assert len(list(course.copy("ada").glob("README.upstream-*.md"))) == 1


def test_a_course_directory_never_replaces_a_students_file_or_symlink(course, world_dir):
    course.spawn("ada")
    copy = course.copy("ada")
    (copy / "answers").write_text("my file called answers\n")
    outside = world_dir / "outside"
    outside.mkdir()
    (copy / "extra").symlink_to(outside)
    course.upstream.commit({"answers/q1.md": "Q1\n", "extra/evil.txt": "x\n", "lab3.ipynb": "{}\n"})
    course.spawn("ada")
    assert (copy / "answers").read_text() == "my file called answers\n"
    assert list(outside.iterdir()) == []
    assert (copy / "lab3.ipynb").exists()


def test_twenty_students_at_once_cause_one_fetch_from_upstream(world_dir, student_python, accounts):
    c = Class(world_dir, student_python, fetch_interval=60)
    try:
        names = [f"student{i:02d}" for i in range(20)]
        c.spawn(*names)
        assert sum(c.server.fetches.values()) == 1
        for name in names:
            assert (c.copy(name) / "lab1.ipynb").exists(), name
    finally:
        c.server.close()


def test_an_unreachable_repository_does_not_block_the_spawn(world_dir, student_python, accounts, caplog):
    silent = SilentServer()
    homes = world_dir / "home"
    homes.mkdir()
    course = {"repositoryUrl": silent.url, "branch": "main", "directory": "engr101"}
    hook = make_pre_spawn_hook(course, None, homes=homes, mirror=world_dir / "course-mirror.git",
                               python=student_python, timeout=3, fetch_timeout=30, systemd_run=SYSTEMD_RUN)
    spawner = spawner_of("ada")
    started = time.monotonic()
    try:
        with caplog.at_level(logging.INFO):
            asyncio.run(hook(spawner))
    finally:
        silent.close()
    assert time.monotonic() - started < 10
    assert "Course copy of jupyter-ada not updated: took more than 3 s" in caplog.text
    assert (homes / "jupyter-ada").is_dir()
    # The hung fetch was killed with the hook, not left behind.
    assert subprocess.run(["pgrep", "-f", silent.url], capture_output=True).returncode == 1


def test_a_fetch_that_fails_is_logged_and_students_keep_the_last_copy(course, caplog):
    course.spawn("ada")
    course.server.close()
    with caplog.at_level(logging.INFO):
        course.spawn("grace")
    assert "Could not fetch the course repository" in caplog.text
    assert (course.copy("grace") / "lab1.ipynb").exists()


@pytest.mark.parametrize("name,account", [
    ("ada.lovelace", "jupyter-ada.lovelace"),
    ("root", "jupyter-root"),
    ("instructor", "jupyter-instructor"),
    ("traefik", "jupyter-traefik"),
    ("a-very-long-student-name.from.the.registrar", "jupyter-a-very-long-s4hfcdbbrqbh"),
])
def test_odd_names_become_prefixed_accounts(course, name, account):
    course.spawn(name)
    assert pwd.getpwnam(account).pw_dir == str(course.homes / account)
    assert (course.homes / account / "engr101" / "lab1.ipynb").exists()


@pytest.mark.parametrize("name", ["../x", "Ada", "ada@example.edu", "émile", "-rf", "a/b", "", "x" * 65])
def test_names_the_authenticator_would_refuse_never_become_accounts(course, name):
    before = {p.pw_name for p in pwd.getpwall()}
    with pytest.raises(ValueError, match="not a valid hub user name"):
        course.spawn(name)
    assert {p.pw_name for p in pwd.getpwall()} == before
    assert list(course.homes.iterdir()) == []


def test_a_reattached_home_keeps_its_owner(course):
    home = course.homes / "jupyter-ada"
    home.mkdir(mode=0o700)
    os.chown(home, 45678, 45678)
    (home / "thesis.ipynb").write_text("{}")
    os.chown(home / "thesis.ipynb", 45678, 45678)
    course.spawn("grace", "ada")
    assert pwd.getpwnam("jupyter-ada").pw_uid == 45678
    # grace, created first, did not take the uid of ada's files.
    assert pwd.getpwnam("jupyter-grace").pw_uid != 45678
    assert (home / "thesis.ipynb").stat().st_uid == 45678


def test_a_private_repository_token_never_lands_in_a_file(world_dir, student_python, accounts):
    c = Class(world_dir, student_python, token=TOKEN)
    try:
        c.spawn("ada")
        assert (c.copy("ada") / "lab1.ipynb").exists()
        assert c.server.refused == 0 and sum(c.server.fetches.values()) == 1
    finally:
        c.server.close()
    secrets = [TOKEN.encode(), base64.b64encode(f"x-access-token:{TOKEN}".encode())]
    for top in (c.mirror.parent, c.homes):
        for directory, _, files in os.walk(top):
            for name in files:
                content = Path(directory, name).read_bytes()
                assert not any(s in content for s in secrets), os.path.join(directory, name)


def test_a_private_repository_refuses_the_mirror_without_its_token(world_dir, student_python, accounts, caplog):
    c = Class(world_dir, student_python)
    c.server.close()
    private = GitHttpServer(world_dir, token=TOKEN)
    hook = make_pre_spawn_hook({"repositoryUrl": private.url(c.upstream), "branch": "main", "directory": "engr101"},
                               None, homes=c.homes, mirror=c.mirror, python=student_python, systemd_run=SYSTEMD_RUN)
    try:
        with caplog.at_level(logging.INFO):
            asyncio.run(hook(spawner_of("ada")))
    finally:
        private.close()
    assert private.refused >= 1
    assert "Could not fetch the course repository" in caplog.text
    assert not c.copy("ada").exists()


def test_beside_names_keep_the_extension():
    commit = "1a2b3c4d5e6f"
    assert beside_name("labs/lab1.ipynb", commit) == "labs/lab1.upstream-1a2b3c4.ipynb"
    assert beside_name("Makefile", commit) == "Makefile.upstream-1a2b3c4"
    assert beside_name(".gitignore", commit) == ".gitignore.upstream-1a2b3c4"


HOOKS = ("reference-transaction", "post-index-change", "post-checkout", "pre-auto-gc", "post-merge")


@pytest.mark.parametrize("planted", ["hooks", "hooksPath", "fsmonitor", "filters", "uploadpack", "everything"])
def test_nothing_a_student_plants_in_their_copy_runs_when_it_is_updated(course, world_dir, planted):
    """Each would leave a mark in `marks` if git ran it while bringing the course in."""
    course.spawn("ada")
    copy = course.copy("ada")
    uid = pwd.getpwnam("jupyter-ada").pw_uid
    marks = world_dir / "marks"
    marks.mkdir()
    marks.chmod(0o777)
    elsewhere = world_dir / "planted-hooks"
    elsewhere.mkdir()
    for hooks in (elsewhere, copy / ".git" / "hooks"):
        for hook in HOOKS:
            (hooks / hook).write_text(f"#!/bin/sh\ntouch {marks}/{hooks.name}-{hook}\n")
            (hooks / hook).chmod(0o755)

    def mark(name: str) -> str:
        return f"touch {marks}/{name}; cat"
    settings = {
        "hooks": [("gc.auto", "1")],  # .git/hooks as they are, and an automatic gc after the fetch
        "hooksPath": [("core.hooksPath", str(elsewhere))],
        "fsmonitor": [("core.fsmonitor", mark("fsmonitor"))],
        "filters": [("filter.evil.smudge", mark("smudge")), ("filter.evil.clean", mark("clean")),
                    ("filter.evil.process", mark("process"))],
        "uploadpack": [(f"remote.{course.mirror.as_uri()}.uploadpack", mark("uploadpack"))],
    }
    chosen = [setting for group in settings.values() for setting in group] if planted == "everything" else settings[planted]
    for key, value in chosen:
        subprocess.run(["runuser", "-u", "jupyter-ada", "--", "git", "-C", str(copy), "config", key, value], check=True)
    if planted in ("filters", "everything"):
        write_as(uid, copy / ".gitattributes", "* filter=evil\n")
        write_as(uid, copy / ".git" / "info" / "attributes", "* filter=evil\n")
    write_as(uid, copy / "lab1.ipynb", '{"cells": ["my answer"]}\n')
    commit = course.upstream.commit({"lab1.ipynb": '{"cells": ["hint"]}\n', "lab2.ipynb": '{"cells": []}\n',
                                     "README.md": "Welcome, updated\n"})

    course.spawn("ada")

    assert sorted(p.name for p in marks.iterdir()) == []
    assert (copy / "lab2.ipynb").read_text() == '{"cells": []}\n'
    assert (copy / "README.md").read_text() == "Welcome, updated\n"
    assert (copy / "lab1.ipynb").read_text() == '{"cells": ["my answer"]}\n'
    assert (copy / f"lab1.upstream-{commit[:7]}.ipynb").read_text() == '{"cells": ["hint"]}\n'


def test_a_copy_that_sends_the_mirror_url_elsewhere_is_refused_without_running_anything(course, world_dir, caplog):
    course.spawn("ada")
    copy = course.copy("ada")
    marks = world_dir / "marks"
    marks.mkdir()
    marks.chmod(0o777)
    for key, value in [("core.sshCommand", f"touch {marks}/ssh"),
                       (f"url.ssh://localhost{course.mirror}.insteadOf", course.mirror.as_uri())]:
        subprocess.run(["runuser", "-u", "jupyter-ada", "--", "git", "-C", str(copy), "config", key, value], check=True)
    course.upstream.commit({"lab2.ipynb": '{"cells": []}\n'})
    with caplog.at_level(logging.INFO):
        course.spawn("ada")
    assert list(marks.iterdir()) == []
    assert "Course copy of jupyter-ada not updated: systemd-run exited with 1: git fetch: fatal: transport 'ssh' not allowed" in caplog.text


def test_course_files_arrive_with_their_modes_and_links(course):
    course.upstream.commit({"run.sh": "#!/bin/sh\necho run\n"})
    subprocess.run(["chmod", "755", str(course.upstream.work / "run.sh")], check=True)
    (course.upstream.work / "latest.ipynb").symlink_to("lab1.ipynb")
    course.upstream.commit({}, message="an executable and a link")
    course.spawn("ada")
    copy = course.copy("ada")
    assert (copy / "run.sh").stat().st_mode & 0o777 == 0o755
    assert (copy / "README.md").stat().st_mode & 0o777 == 0o644
    assert os.readlink(copy / "latest.ipynb") == "lab1.ipynb"
    status = subprocess.run(["runuser", "-u", "jupyter-ada", "--", "git", "-C", str(copy), "status", "--porcelain"],
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""

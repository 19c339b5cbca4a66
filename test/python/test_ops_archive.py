"""classroom-archive on one server, classroom-restore on another: real accounts, files and hub database."""

import hashlib
import io
import json
import re
import tarfile
import uuid
from pathlib import Path

import pytest
from ops_server import LIB, Servers, make_server, server  # noqa: F401  (fixtures)

HOMES = "/srv/classroom/home"
SHARED = "/srv/classroom/shared"
# The students' files as (path in the home, mode, content); times and owners are checked too.
WORK = [
    ("lab1.ipynb", 0o644, '{"cells": []}\n'),
    ("notes/private.md", 0o600, "my notes\n"),
    ("bin/run.sh", 0o755, "#!/bin/sh\necho hi\n"),
]
MTIME = 1_700_000_000


def prepare(server) -> None:
    """A server as the hub leaves it: operations installed, units, the hub's environment and config."""
    server.install_operations()
    server.fake_systemd(jupyterhub="active", traefik="active")
    server.run("mkdir", "-p", HOMES)
    server.make_hub_environment()
    server.run("useradd", "--create-home", "--home-dir", "/srv/instructor", "instructor")


def add_students(server, *names: str) -> None:
    """Accounts as the hub makes them at first login."""
    server.python(f"""
        import sys; sys.path.insert(0, "{LIB}/python")
        from pathlib import Path
        from classroom_hub.accounts import ensure_account
        for name in {list(names)!r}:
            ensure_account(name, Path("{HOMES}"))
    """)


def share_data(server) -> None:
    """The shared data folder as classroom-apply opens it, with a file staff put there."""
    server.python(f"""
        import sys; sys.path.insert(0, "{LIB}/python")
        from pathlib import Path
        from classroom_hub.shared_data import prepare_folder
        prepare_folder({{"directory": "shared"}}, Path("{SHARED}"))
    """)
    server.write(f"{SHARED}/week1/data.csv", "x,y\n1,2\n", "0664")
    server.run("touch", "--no-create", "--date", f"@{MTIME}", f"{SHARED}/week1/data.csv")
    server.run("chown", "-R", "root:jupyterhub-course-staff", f"{SHARED}/week1")


def uid(server, account: str) -> int:
    return int(server.run("id", "-u", account).stdout)


def stat(server, path: str) -> tuple[int, int, int, int]:
    """(uid, gid, mode, mtime), not following a symlink."""
    uid, gid, mode, mtime = server.run("stat", "--format", "%u %g %a %Y", path).stdout.split()
    return int(uid), int(gid), int(mode, 8), int(mtime)


def write_work(server, account: str) -> None:
    for path, mode, content in WORK:
        full = f"{HOMES}/{account}/{path}"
        server.write(full, content, f"{mode:04o}")
        server.run("touch", "--no-create", "--date", f"@{MTIME}", full)
    server.run("ln", "-s", "notes/private.md", f"{HOMES}/{account}/latest")
    server.run("ln", f"{HOMES}/{account}/lab1.ipynb", f"{HOMES}/{account}/lab1-copy.ipynb")
    server.write(f"{HOMES}/{account}/.cache/pip/big.bin", "cache\n")
    server.run("chown", "-R", "--no-dereference", f"{account}:jupyterhub-students", f"{HOMES}/{account}")


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """An old server with two students' work and a hub database, archived: the server and the
    archive's output lines. Shared by the tests, which only read it."""
    servers = Servers(tmp_path_factory.mktemp("old"))
    old = servers()
    prepare(old)
    add_students(old, "jupyter-ada", "jupyter-grace")
    for account in ("jupyter-ada", "jupyter-grace"):
        write_work(old, account)
    share_data(old)
    old.make_database("ada", "grace")
    result = old.run("env", "SUDO_USER=instructor", f"{LIB}/classroom-archive")
    yield old, dict(line.split(": ", 1) for line in result.stdout.splitlines())
    servers.close()


def test_archive_holds_homes_with_owners_and_a_consistent_database(archived):
    old, lines = archived
    download = lines["archive"]
    assert download.startswith("/srv/instructor/classroom-archives/classroom-")
    assert stat(old, download)[:3] == (uid(old, "instructor"), int(old.run("id", "-g", "instructor").stdout), 0o600)
    kept = lines["kept on the server"]
    assert kept.startswith("/var/backups/jupyterhub-classroom/")
    assert stat(old, kept)[2] == 0o600 and stat(old, "/var/backups/jupyterhub-classroom")[2] == 0o700
    data = old.host_path(download).read_bytes()
    assert hashlib.sha256(data).hexdigest() == lines["sha256"] == hashlib.sha256(old.host_path(kept).read_bytes()).hexdigest()

    with tarfile.open(old.host_path(download)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        private = members["home/jupyter-ada/notes/private.md"]
        assert (private.uname, private.uid, private.gname, private.mode, private.mtime) == (
            "jupyter-ada", uid(old, "jupyter-ada"), "jupyterhub-students", 0o600, MTIME)
        assert members["home/jupyter-ada/latest"].linkname == "notes/private.md"
        shared = members["shared/week1/data.csv"]
        assert (shared.uname, shared.gname, shared.mode, shared.mtime) == ("root", "jupyterhub-course-staff", 0o664, MTIME)
        assert not [name for name in members if "/.cache" in name]
        assert json.load(tar.extractfile("archive.json"))["format"] == 1
        old.write("/run/archived.sqlite", tar.extractfile("hub/jupyterhub.sqlite").read(), "0600")
    assert old.database_users("/run/archived.sqlite") == ["ada", "grace"]


def test_each_server_has_its_own_root_home_where_the_restores_read_their_archive(make_server):
    # Tests on other workers put their own archive at /root/archive.tar.gz at the same time: a shared
    # /root made one test's restore read another's archive (a restore refusing the wrong homes).
    first, second = make_server(), make_server()
    path = f"/root/archive-{uuid.uuid4().hex}.tar.gz"
    first.write(path, "the first server's\n", "0600")
    second.write(path, "the second server's\n", "0600")
    assert first.read(path) == "the first server's\n"
    assert not Path(path).exists(), "the test server wrote into this machine's /root"


def test_restore_on_a_new_server_gives_every_student_their_files(archived, make_server):
    old, lines = archived
    new = make_server()
    prepare(new)
    # A student who logged in to the new class first takes the uid ada had on the old server.
    add_students(new, "jupyter-zed")
    assert uid(new, "jupyter-zed") == uid(old, "jupyter-ada")
    new.make_database("zed")
    new.write("/root/archive.tar.gz", old.host_path(lines["archive"]).read_bytes(), "0600")

    result = new.run(f"{LIB}/classroom-restore", "/root/archive.tar.gz")
    assert "restored the homes of 2 students into /srv/classroom/home" in result.stdout
    assert "skipped" not in result.stdout
    for account in ("jupyter-ada", "jupyter-grace"):
        student, group = uid(new, account), int(new.run("getent", "group", "jupyterhub-students").stdout.split(":")[2])
        assert student != uid(new, "jupyter-zed")
        assert stat(new, f"{HOMES}/{account}")[:3] == (student, group, 0o700)
        for path, mode, content in WORK:
            assert new.read(f"{HOMES}/{account}/{path}") == content
            assert stat(new, f"{HOMES}/{account}/{path}") == (student, group, mode, MTIME)
        assert new.run("readlink", f"{HOMES}/{account}/latest").stdout.strip() == "notes/private.md"
        assert new.read(f"{HOMES}/{account}/lab1-copy.ipynb") == WORK[0][2]

    assert "restored the shared data into /srv/classroom/shared" in result.stdout
    staff = int(new.run("getent", "group", "jupyterhub-course-staff").stdout.split(":")[2])
    assert new.read(f"{SHARED}/week1/data.csv") == "x,y\n1,2\n"
    assert stat(new, f"{SHARED}/week1/data.csv") == (0, staff, 0o664, MTIME)
    # Closed to students until classroom-apply opens it for a class with sharedData.
    assert stat(new, SHARED)[:3] == (0, staff, 0o2770)

    assert new.database_users() == ["ada", "grace"]
    backups = new.run("sh", "-c", "ls /var/lib/jupyterhub/backups/jupyterhub-*.sqlite").stdout.split()
    assert len(backups) == 1 and new.database_users(backups[0]) == ["zed"]
    assert new.systemctl_calls()[-2:] == ["stop jupyterhub.service", "start jupyterhub.service"]


def test_restore_refuses_homes_with_files_and_merges_only_what_is_missing(archived, make_server):
    old, lines = archived
    new = make_server()
    prepare(new)
    new.write("/root/archive.tar.gz", old.host_path(lines["archive"]).read_bytes(), "0600")
    new.run(f"{LIB}/classroom-restore", "/root/archive.tar.gz")
    ada = f"{HOMES}/jupyter-ada"
    new.write(f"{ada}/lab1.ipynb", "ada's newer work\n")
    new.run("rm", f"{ada}/bin/run.sh")
    # A student's symlink where the archive has a directory must not lead the restore elsewhere.
    new.run("mkdir", "/srv/elsewhere")
    new.run("mv", f"{ada}/notes", f"{ada}/old-notes")
    new.run("ln", "-s", "/srv/elsewhere", f"{ada}/notes")

    refused = new.run(f"{LIB}/classroom-restore", "/root/archive.tar.gz", check=False)
    assert refused.returncode == 2
    assert ("these already hold files: jupyter-ada, jupyter-grace, the shared data folder /srv/classroom/shared."
            " Nothing was changed.") in refused.stderr
    assert new.run("ls", f"{ada}/bin").stdout == ""

    merged = new.run(f"{LIB}/classroom-restore", "--force-merge", "/root/archive.tar.gz")
    assert new.read(f"{ada}/lab1.ipynb") == "ada's newer work\n"
    assert new.read(f"{ada}/bin/run.sh") == WORK[2][2]
    assert new.run("ls", "-A", "/srv/elsewhere").stdout == ""
    assert "skipped, something is already there: home/jupyter-ada/lab1.ipynb" in merged.stdout
    assert "skipped, something is already there: home/jupyter-ada/notes/private.md" in merged.stdout
    assert "skipped, something is already there: shared/week1/data.csv" in merged.stdout


def test_restore_refuses_an_archive_that_writes_outside_the_homes(server, tmp_path):
    prepare(server)
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in (("archive.json", b'{"format": 1}'), ("home/jupyter-ada/../../etc/cron.d/x", b"* * * * * root id\n")):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    server.write("/root/evil.tar.gz", evil.read_bytes())
    result = server.run(f"{LIB}/classroom-restore", "/root/evil.tar.gz", check=False)
    assert result.returncode == 2
    assert "'home/jupyter-ada/../../etc/cron.d/x' is not a path this restore writes" in result.stderr
    assert server.run("ls", HOMES).stdout == ""


ARCHIVES = "/var/backups/jupyterhub-classroom"


def test_the_server_keeps_its_newest_three_archives_and_one_copy_to_download(server):
    prepare(server)
    add_students(server, "jupyter-ada")
    old = [f"classroom-2026010{day}T120000Z.tar.gz" for day in range(1, 5)]
    for name in old:
        server.write(f"{ARCHIVES}/{name}", "an older archive\n", "0600")
    # A copy an earlier run handed over but never got downloaded.
    server.write(f"/srv/instructor/classroom-archives/{old[0]}", "never downloaded\n", "0600")
    result = server.run("env", "SUDO_USER=instructor", f"{LIB}/classroom-archive")
    new = result.stdout.split("kept on the server: ")[1].split()[0]
    assert server.run("ls", ARCHIVES).stdout.split() == [*old[2:], new.rsplit("/", 1)[1]]
    for removed in old[:2]:
        assert f"removed an older archive (the server keeps the newest 3): {ARCHIVES}/{removed}" in result.stdout
    assert server.run("ls", "/srv/instructor/classroom-archives").stdout.split() == [new.rsplit("/", 1)[1]]
    assert result.stdout.splitlines()[-2].startswith("archive: /srv/instructor/classroom-archives/")


def test_an_archive_that_does_not_fit_on_the_disk_is_not_started(server):
    prepare(server)
    add_students(server, "jupyter-ada")
    # 3 MiB that gzip cannot shrink, and a small disk for the archives.
    server.run("sh", "-c", f"head -c 3145728 /dev/urandom >{HOMES}/jupyter-ada/data.bin")
    server.run("mkdir", "-p", ARCHIVES)
    server.run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", ARCHIVES)
    server.write(f"{ARCHIVES}/classroom-20260101T120000Z.tar.gz", "an older archive\n", "0600")
    result = server.run("env", "SUDO_USER=instructor", f"{LIB}/classroom-archive", check=False)
    assert result.returncode == 1
    assert re.fullmatch(
        rf"classroom-archive: not enough free space in {ARCHIVES} for the archive: it needs up to 3\.\d MiB, and"
        r" 256\.0 MiB stay free for the server, but only 6\d\.\d MiB is free\. Remove archives you have downloaded"
        rf" from {ARCHIVES} \(it keeps classroom-20260101T120000Z\.tar\.gz\) with `sudo rm`, or make room on the"
        r" Droplet's disk\.", result.stderr.strip()), result.stderr
    assert server.run("ls", "-A", ARCHIVES).stdout.split() == ["classroom-20260101T120000Z.tar.gz"]


def prepare_grading(server) -> None:
    """Grading as classroom-apply leaves it (grading.py)."""
    server.python(f"""
        import sys; sys.path.insert(0, "{LIB}/python")
        from pathlib import Path
        from classroom_hub.apply import write_atomically
        from classroom_hub.grading import prepare_grading
        prepare_grading({{"grading": {{"courseId": "engr101"}}}}, write_atomically, jupyter_etc=Path("/tmp/jupyter-etc"))
    """)


def hand_in(server, *students: str) -> None:
    """A gradebook and one submission per student."""
    server.write(f"{GRADER_HOME}/engr101/gradebook.db", "grades\n", "0644")
    server.run("chown", "-R", "jupyterhub-grader:jupyterhub-grader", f"{GRADER_HOME}/engr101")
    for account in students:
        submission = f"{INBOUND}/{account}+ps1+2026-12-01 10:00:00.000000 UTC+abc"
        server.write(f"{submission}/ps1.ipynb", f"{account}'s answers\n", "0644")
        server.run("chmod", "0777", submission)
        server.run("chown", "-R", f"{account}:jupyterhub-grader", submission)


GRADER_HOME = "/srv/classroom/grading/jupyterhub-grader"
INBOUND = "/srv/classroom/grading/exchange/engr101/inbound"


def test_the_grading_files_are_archived_and_restored_with_their_owners(make_server):
    old = make_server()
    prepare(old)
    add_students(old, "jupyter-ada")
    prepare_grading(old)
    hand_in(old, "jupyter-ada")
    # What the formgrader's JupyterLab keeps for itself, on the old server and the new.
    old.write(f"{GRADER_HOME}/.jupyter/migrated", "", "0644")
    archive = old.run("env", "SUDO_USER=instructor", f"{LIB}/classroom-archive").stdout.splitlines()[-2].split(": ", 1)[1]
    with tarfile.open(old.host_path(archive)) as tar:
        names = tar.getnames()
    assert f"{GRADER_HOME[len('/srv/classroom/'):]}/engr101/gradebook.db" in names
    assert not any(name.startswith(f"{GRADER_HOME[len('/srv/classroom/'):]}/.") for name in names)

    new = make_server()
    prepare(new)
    # On the new class the formgrader's account is made by classroom-apply, or here by the restore;
    # what its JupyterLab keeps for itself is not coursework, and does not stop a restore.
    prepare_grading(new)
    new.write(f"{GRADER_HOME}/.jupyter/migrated", "", "0644")
    new.write("/root/archive.tar.gz", old.host_path(archive).read_bytes(), "0600")
    result = new.run(f"{LIB}/classroom-restore", "/root/archive.tar.gz")
    assert "restored the grading files (nbgrader's exchange and gradebook) into /srv/classroom/grading" in result.stdout
    assert "skipped" not in result.stdout, result.stdout
    grader = uid(new, "jupyterhub-grader")
    assert grader == 59999
    assert new.read(f"{GRADER_HOME}/engr101/gradebook.db") == "grades\n"
    assert stat(new, f"{GRADER_HOME}/engr101/gradebook.db")[0] == grader
    assert stat(new, GRADER_HOME)[::2] == (grader, 0o700)
    assert stat(new, "/srv/classroom/grading/exchange")[::2] == (0, 0o1777)
    assert stat(new, INBOUND)[::2] == (grader, 0o2733)
    [submission] = new.run("ls", INBOUND).stdout.splitlines()
    assert stat(new, f"{INBOUND}/{submission}/ps1.ipynb")[0] == uid(new, "jupyter-ada")
    assert new.read(f"{INBOUND}/{submission}/ps1.ipynb") == "jupyter-ada's answers\n"

    refused = new.run(f"{LIB}/classroom-restore", "/root/archive.tar.gz", check=False)
    assert refused.returncode == 2 and "/srv/classroom/grading" in refused.stderr

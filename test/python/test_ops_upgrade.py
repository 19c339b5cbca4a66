"""classroom-upgrade-env: real venvs, real pip (offline, from wheels the test builds), a real hub database."""

import base64
import hashlib
import io
import re
import zipfile

import pytest
from ops_server import DATABASE, HUB_VENV, LIB, make_server, server  # noqa: F401  (fixtures)

UPGRADE = f"{LIB}/classroom-upgrade-env"
WHEELS = "/srv/wheels"


def wheel(version: str, module: str = "classroom_probe") -> tuple[str, bytes]:
    """A pure-Python wheel of the package named like module (classroom-probe), whose module says its version."""
    files = {
        f"{module}.py": f"VERSION = {version!r}\n",
        f"{module}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: {version}\n",
        f"{module}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},{len(text)}\n"
        for name, text in files.items())
    files[f"{module}-{version}.dist-info/RECORD"] = record + f"{module}-{version}.dist-info/RECORD,,\n"
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return f"{module}-{version}-py3-none-any.whl", data.getvalue()


def publish_lock(server, environment: str, version: str, *, wrong_hash: bool = False) -> None:
    """A lock as tools/lock.py writes them, installing offline from the test's wheels."""
    name, data = wheel(version)
    server.write(f"{WHEELS}/{name}", data)
    digest = hashlib.sha256(b"not the wheel" if wrong_hash else data).hexdigest()
    server.write(f"{LIB}/requirements/{environment}.txt",
                 f"--no-index\n--find-links {WHEELS}\nclassroom-probe=={version} \\\n    --hash=sha256:{digest}\n")


def probe_version(server, venv: str) -> str:
    return server.run(f"{venv}/bin/python", "-c", "import classroom_probe; print(classroom_probe.VERSION)").stdout.strip()


def alembic_revision(server, path: str = DATABASE) -> str:
    return server.python(f"import sqlite3; print(sqlite3.connect('{path}').execute('select version_num from alembic_version').fetchone()[0])").strip()


@pytest.fixture
def hub(server):
    """A server whose hub runs from a venv with pip and JupyterHub, with users in an older schema."""
    server.install_operations()
    server.fake_systemd(jupyterhub="active", traefik="active")
    server.make_hub_environment()
    publish_lock(server, "hub", "1.0")
    server.run(UPGRADE, "hub")
    server.make_database("ada", "grace")
    return server


# The newest schema of JupyterHub 5 (5.4.3 to 5.5.4): the lock moved the hub from 5.4.3 to 6.
JUPYTERHUB_5_SCHEMA = "4621fec11365"


def downgrade_schema(server) -> str:
    """Takes the database back to JupyterHub 5's schema, as the hub the lock had before made it;
    returns the current head."""
    head = alembic_revision(server)
    server.python(f"""
        import subprocess
        from jupyterhub.dbutil import _temp_alembic_ini
        with _temp_alembic_ini("sqlite:///{DATABASE}") as ini:
            subprocess.run(["{HUB_VENV}/bin/alembic", "-c", ini, "downgrade", "{JUPYTERHUB_5_SCHEMA}"], check=True)
    """)
    assert alembic_revision(server) == JUPYTERHUB_5_SCHEMA != head
    return head


def test_a_new_hub_lock_backs_up_migrates_and_restarts_the_hub(hub):
    head = downgrade_schema(hub)
    calls = len(hub.systemctl_calls())
    publish_lock(hub, "hub", "2.0")
    result = hub.run(UPGRADE, "hub")
    assert probe_version(hub, HUB_VENV) == "2.0"
    assert alembic_revision(hub) == head
    backup = result.stdout.split("the hub database is backed up as ")[1].split()[0]
    assert backup.startswith("/var/lib/jupyterhub/backups/jupyterhub-")
    assert hub.database_users(backup) == ["ada", "grace"]
    assert alembic_revision(hub, backup) != head
    assert hub.run("stat", "-c", "%a", backup).stdout == "600\n"
    assert hub.systemctl_calls()[calls:] == [
        "is-active jupyterhub.service", "stop jupyterhub.service", "start jupyterhub.service"]
    assert hub.database_users() == ["ada", "grace"]


def test_a_stopped_hub_starts_on_the_new_environment(hub):
    """As after putting a database backup in place to go back to older pins (docs/operations.md)."""
    hub.run("systemctl", "stop", "jupyterhub.service")
    calls = len(hub.systemctl_calls())
    publish_lock(hub, "hub", "0.9")
    hub.run(UPGRADE, "hub")
    assert probe_version(hub, HUB_VENV) == "0.9"
    assert hub.systemctl_calls()[calls:] == ["is-active jupyterhub.service", "start jupyterhub.service"]


def test_an_unchanged_lock_changes_nothing(hub):
    calls = len(hub.systemctl_calls())
    result = hub.run(UPGRADE, "hub")
    assert result.stdout == f"classroom-upgrade-env: {HUB_VENV} already has {LIB}/requirements/hub.txt\n"
    assert hub.systemctl_calls()[calls:] == []
    assert hub.run("sh", "-c", "ls /var/lib/jupyterhub/backups 2>/dev/null || true").stdout == ""


def test_a_lock_that_does_not_install_leaves_the_hub_running_on_the_old_one(hub):
    calls = len(hub.systemctl_calls())
    publish_lock(hub, "hub", "2.0", wrong_hash=True)
    result = hub.run(UPGRADE, "hub", check=False)
    assert result.returncode == 1
    assert "upgrading the hub environment failed" in result.stderr
    assert "The database as it was before the upgrade is /var/lib/jupyterhub/backups/jupyterhub-" in result.stderr
    assert result.stderr.rstrip().endswith("to go back, see docs/operations.md")
    assert probe_version(hub, HUB_VENV) == "1.0"
    assert hub.systemctl_calls()[calls:][-1] == "start jupyterhub.service"
    # Not recorded as installed: the next sync tries again.
    assert "already has" not in hub.run(UPGRADE, "hub", check=False).stdout


def test_the_students_environment_is_created_then_upgraded_without_touching_the_hub(hub):
    student_venv = "/opt/jupyterhub-classroom/user"
    calls = len(hub.systemctl_calls())
    publish_lock(hub, "user", "1.0")
    hub.run(UPGRADE, "user")
    assert probe_version(hub, student_venv) == "1.0"
    publish_lock(hub, "user", "2.0")
    hub.run(UPGRADE, "user")
    assert probe_version(hub, student_venv) == "2.0"
    assert hub.systemctl_calls()[calls:] == []


STUDENT_VENV = "/opt/jupyterhub-classroom/user"
STUDENT_WHEELS = "/srv/student-wheels"
SERVER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture
def students_environment(server):
    """A server with the students' environment as classroom-upgrade-env makes it, and wheels a
    student may install (student-probe; classroom-probe 2.0, newer than the lock's 1.0)."""
    server.install_operations()
    publish_lock(server, "user", "1.0")
    # The server's PATH: its python3 is Debian's, which students may run (this machine's first
    # python3 may live in root's home).
    server.run("env", f"PATH={SERVER_PATH}", UPGRADE, "user")
    for name, data in (wheel("1.0", "student_probe"), wheel("2.0")):
        server.write(f"{STUDENT_WHEELS}/{name}", data)
    return server


def make_student(server, name: str) -> str:
    """A student's account, its home in /srv/classroom/home, closed to others (0700); it exists only
    inside the server."""
    home = f"/srv/classroom/home/{name}"
    server.run("useradd", "--create-home", "--home-dir", home, "--shell", "/bin/bash", name)
    server.run("chmod", "0700", home)
    return home


def as_student(server, name: str, *argv, check: bool = True):
    """argv as the student, in a clean environment as their unit gives it (no PYTHONUSERBASE)."""
    return server.run("runuser", "-u", name, "--", "env", "-i", f"HOME=/srv/classroom/home/{name}",
                      "PATH=/usr/bin:/bin", *argv, check=check)


def student_import(server, name: str, module: str, *flags: str) -> str:
    """Where the student's python (the kernels', or the server's with flags ("-s",)) finds module."""
    result = as_student(server, name, f"{STUDENT_VENV}/bin/python", *flags, "-c",
                        f"import {module}; print({module}.VERSION, {module}.__file__)", check=False)
    return result.stdout.strip() if result.returncode == 0 else result.stderr.strip().splitlines()[-1]


def test_a_student_installs_with_pip_user_and_only_their_kernels_and_terminals_see_it(students_environment):
    server = students_environment
    home = make_student(server, "jupyter-pip-ada")
    make_student(server, "jupyter-pip-grace")
    pip_user = [f"{STUDENT_VENV}/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--user", "--no-index", "--find-links", STUDENT_WHEELS]
    as_student(server, "jupyter-pip-ada", *pip_user, "student-probe")
    user_site = f"{home}/.local/lib/python3.11/site-packages"
    assert student_import(server, "jupyter-pip-ada", "student_probe") == f"1.0 {user_site}/student_probe.py"
    # The server runs with `python -s` (jupyterhub_config.py): nothing of ~/.local loads in it.
    assert student_import(server, "jupyter-pip-ada", "student_probe", "-s") == \
        "ModuleNotFoundError: No module named 'student_probe'"
    assert student_import(server, "jupyter-pip-grace", "student_probe") == \
        "ModuleNotFoundError: No module named 'student_probe'"
    # Python's order: the class's environment, then ~/.local; the system's packages stay out.
    path = as_student(server, "jupyter-pip-ada", f"{STUDENT_VENV}/bin/python", "-c",
                      "import sys; print(*sys.path, sep=chr(10))").stdout.splitlines()
    venv_site = f"{STUDENT_VENV}/lib/python3.11/site-packages"
    assert path[-2:] == [venv_site, user_site], path
    assert not [folder for folder in path if "dist-packages" in folder], path
    assert "ModuleNotFoundError" in student_import(server, "jupyter-pip-ada", "yaml")

    # So ~/.local adds packages and never replaces the class's: pip refuses another version of
    # one, and one forced in is not what the student's python loads.
    assert "lack sys.path precedence" in as_student(server, "jupyter-pip-ada", *pip_user, "classroom-probe==2.0",
                                                    check=False).stderr
    as_student(server, "jupyter-pip-ada", *pip_user, "--ignore-installed", "classroom-probe==2.0")
    assert student_import(server, "jupyter-pip-ada", "classroom_probe") == f"1.0 {venv_site}/classroom_probe.py"
    # What a student installed goes away with ~/.local/lib/python3.11 (docs/architecture.md).
    as_student(server, "jupyter-pip-ada", "rm", "-r", f"{home}/.local/lib/python3.11")
    assert student_import(server, "jupyter-pip-ada", "student_probe") == \
        "ModuleNotFoundError: No module named 'student_probe'"


def test_an_environment_made_before_gets_pip_user_at_the_next_sync_without_reinstalling(students_environment):
    server = students_environment
    config = f"{STUDENT_VENV}/pyvenv.cfg"
    # What `python3 -m venv` wrote, and classroom-upgrade-env left, before.
    server.run("sed", "-i", "s/^include-system-site-packages = .*/include-system-site-packages = false/", config)
    installed = f"{STUDENT_VENV}/lib/python3.11/site-packages/classroom_probe.py"
    before = server.run("stat", "-c", "%i %Y", installed).stdout
    result = server.run("env", f"PATH={SERVER_PATH}", UPGRADE, "user")
    assert result.stdout.splitlines() == [
        f"classroom-upgrade-env: students' `pip install --user` now installs into their ~/.local ({config})",
        f"classroom-upgrade-env: {STUDENT_VENV} already has {LIB}/requirements/user.txt",
    ]
    assert server.run("stat", "-c", "%i %Y", installed).stdout == before
    assert "include-system-site-packages = true\n" in server.read(config)
    assert server.run("stat", "-c", "%a", config).stdout == "644\n"
    assert "/usr/lib/python3/dist-packages" not in server.run(f"{STUDENT_VENV}/bin/python", "-c", "import sys; print(sys.path)").stdout
    home = make_student(server, "jupyter-pip-ada")
    as_student(server, "jupyter-pip-ada", f"{STUDENT_VENV}/bin/python", "-m", "pip", "install", "--quiet", "--user",
               "--no-index", "--find-links", STUDENT_WHEELS, "student-probe")
    assert student_import(server, "jupyter-pip-ada", "student_probe").endswith(
        f"{home}/.local/lib/python3.11/site-packages/student_probe.py")
    # Every later run leaves it as it is.
    settled = server.read(config)
    assert server.run("env", f"PATH={SERVER_PATH}", UPGRADE, "user").stdout == f"classroom-upgrade-env: {STUDENT_VENV} already has {LIB}/requirements/user.txt\n"
    assert server.read(config) == settled


BACKUPS = "/var/lib/jupyterhub/backups"


def test_the_server_keeps_its_newest_ten_database_backups(hub):
    old = [f"jupyterhub-202601{day:02}T120000Z.sqlite" for day in range(1, 13)]
    for name in old:
        hub.write(f"{BACKUPS}/{name}", "an older backup\n", "0600")
    publish_lock(hub, "hub", "2.0")
    result = hub.run(UPGRADE, "hub")
    backup = result.stdout.split("the hub database is backed up as ")[1].split()[0]
    assert hub.run("ls", BACKUPS).stdout.split() == [*old[3:], backup.rsplit("/", 1)[1]]
    for removed in old[:3]:
        assert f"removed an older hub database backup: {BACKUPS}/{removed}" in result.stdout


def test_no_room_for_the_database_backup_refuses_the_upgrade_and_the_hub_runs_on(hub):
    hub.run("mkdir", "-p", BACKUPS)
    hub.run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", BACKUPS)
    calls = len(hub.systemctl_calls())
    publish_lock(hub, "hub", "2.0")
    result = hub.run(UPGRADE, "hub", check=False)
    assert result.returncode == 1
    assert re.search(rf"upgrading the hub environment failed: not enough free space in {BACKUPS} for a backup of the"
                     r" hub database: it needs up to \d+\.\d KiB, and 256\.0 MiB stay free for the server, but only"
                     r" 16\.0 MiB is free\. Remove older backups", result.stderr), result.stderr
    assert result.stderr.rstrip().endswith("Nothing was changed.")
    assert probe_version(hub, HUB_VENV) == "1.0"
    assert hub.run("ls", "-A", BACKUPS).stdout == ""
    assert hub.systemctl_calls()[calls:] == ["is-active jupyterhub.service", "stop jupyterhub.service", "start jupyterhub.service"]

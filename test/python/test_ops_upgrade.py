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


def wheel(version: str) -> tuple[str, bytes]:
    """A pure-Python wheel of the package classroom-probe, whose module says its version."""
    files = {
        "classroom_probe.py": f"VERSION = {version!r}\n",
        f"classroom_probe-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: classroom-probe\nVersion: {version}\n",
        f"classroom_probe-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},{len(text)}\n"
        for name, text in files.items())
    files[f"classroom_probe-{version}.dist-info/RECORD"] = record + f"classroom_probe-{version}.dist-info/RECORD,,\n"
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return f"classroom_probe-{version}-py3-none-any.whl", data.getvalue()


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

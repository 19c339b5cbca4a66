"""Shared fixtures: valid class settings, world-readable scratch directories, real student accounts.

The tests need root (they create Linux accounts) and only ever talk to loopback.
"""

import copy
import grp
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLOUD_INIT = REPO / "cloud-init"


def _install_server_python() -> Path:
    """A world-readable copy of the server's library (cloud-init/python, schema, templates, jupyter), its
    python first on sys.path: students run student_copy.py from it, as they run it from
    /usr/local/lib/jupyterhub-classroom/python on the server, wherever this checkout lives (a clone
    under /root is closed to them)."""
    copy_root = Path(tempfile.mkdtemp(prefix="classroom-python-", dir="/tmp"))
    copy_root.chmod(0o755)
    for folder in ("python", "schema", "templates", "jupyter"):
        shutil.copytree(CLOUD_INIT / folder, copy_root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(copy_root / "python"))
    return copy_root / "python"


SERVER_PYTHON = _install_server_python()


# Test files that make or remove accounts on this machine (useradd takes the passwd lock; the
# accounts fixture removes the jupyter-* accounts made meanwhile) run one after the other, in one
# worker; every other file runs whole in a worker of its own (pytest-xdist, --dist loadgroup), so
# its module fixtures are made once. `npm run test:servers` runs these first, on their own: their
# hooks' short time limits do not hold on two cores shared with three busy workers.
_HOST_ACCOUNTS = {"test_course_repo.py", "test_login_page.py", "test_course_staff.py", "test_shared_data.py",
                  "test_quotas.py", "test_grading.py"}


# Test files that start the server's real parts (a hub, a namespace server, pip installs, host
# accounts): `npm run test:servers` runs them (marked `servers`), `npm test` the rest in seconds.
_SERVERS = _HOST_ACCOUNTS | {
    "test_apply.py", "test_kubernetes_hub_config.py", "test_kubernetes_restore.py",
    "test_ops_archive.py", "test_ops_health.py", "test_ops_sync.py", "test_ops_upgrade.py",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "servers: starts the server's real parts; run by `npm run test:servers`")
    config.addinivalue_line("markers", "host_accounts: makes or removes accounts on this machine; run alone, first")


# Before xdist's own hook, which names each item's group from these marks.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group("host-accounts" if name in _HOST_ACCOUNTS else name))
        if name in _SERVERS:
            item.add_marker(pytest.mark.servers)
        if name in _HOST_ACCOUNTS:
            item.add_marker(pytest.mark.host_accounts)


def pytest_unconfigure(config):
    shutil.rmtree(SERVER_PYTHON.parent, ignore_errors=True)

_SETTINGS = {
    "version": 1,
    "hostname": "engr101.example.edu",
    "auth": {
        "provider": "github",
        "clientId": "Iv1.0123456789abcdef",
        "callbackUrl": "https://engr101.example.edu/hub/oauth_callback",
        "allowedUsers": ["ada", "grace"],
        "adminUsers": ["prof"],
        "teachingAssistants": [],
        "githubOrganizations": [],
        "googleHostedDomains": [],
        "oidc": None,
    },
    "course": None,
    "coursePackages": [],
    "sharedData": None,
    "diskQuotaGb": None,
    "limits": {"memory": "2G", "cpu": 1, "idleTimeoutSeconds": 3600, "concurrentSpawnLimit": 20},
    "loginPage": {
        "title": "ENGR 101",
        "logoUrl": None,
        "primaryColor": "#8c1d40",
        "announcement": None,
        "helpLinks": [],
    },
    "homePage": {"announcement": None},
    "perStudentOrigins": False,
    "classSchedule": {"timezone": "America/New_York", "leadMinutes": 10,
                      "meetings": [{"days": ["Mon", "Wed"], "start": "09:00", "end": "10:15"}], "maxWarmServers": None},
    "grading": None,
}
_SECRETS = {
    "oauthClientSecret": "client-secret-0f3c9a",
    "cookieSecret": "ab" * 32,
    "traefikApiPassword": "traefik-password-5e1d7b2c",
    "courseRepoToken": None,
    "cloudflareDnsToken": None,
}
_PROVIDER_AUTH = {
    "github": {"githubOrganizations": ["engr101-students"]},
    "google": {"allowedUsers": ["ada@example.edu", "grace@example.edu"], "adminUsers": ["prof@example.edu"],
               "googleHostedDomains": ["example.edu"]},
    "oidc": {"allowedUsers": ["ada@example.edu", "grace.hopper@example.edu"], "adminUsers": ["prof@example.edu"],
             "oidc": {"authorizeUrl": "https://login.example.edu/authorize", "tokenUrl": "https://login.example.edu/token",
                      "userdataUrl": "https://login.example.edu/userinfo", "usernameClaim": "email",
                      "scopes": ["openid", "email"]}},
}


def class_settings(provider: str = "github") -> dict:
    """A valid class.json for the provider, as lib/bundle.ts would write it."""
    settings = copy.deepcopy(_SETTINGS)
    settings["auth"].update(provider=provider, **copy.deepcopy(_PROVIDER_AUTH[provider]))
    return settings


def class_secrets() -> dict:
    return dict(_SECRETS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world_dir():
    """A scratch directory students can traverse (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="classroom-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture(scope="session")
def as_root():
    if os.geteuid() != 0:
        pytest.fail("these tests create Linux accounts: run them as root")


@pytest.fixture(scope="session")
def student_python(as_root):
    """The hook runs student_copy.py (standard library only) with this interpreter as the student, so
    students must be able to execute it, as they can the hub venv's python on the server. The
    venv's own link may sit in a checkout they cannot enter; the interpreter it points at they can."""
    python = os.path.realpath(sys.executable)
    probe = subprocess.run(["runuser", "-u", "nobody", "--", python, "-I", "-c", "pass"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"{python} cannot run as another user ({probe.stderr.strip()}); create the venv "
                    "from /usr/bin/python3.11 (see test/python/README.md)")
    return python


@pytest.fixture
def accounts(as_root):
    """Deletes every jupyter-* account a test created, and the students' group if it was new."""
    before = {p.pw_name for p in pwd.getpwall()}
    group_existed = any(g.gr_name == "jupyterhub-students" for g in grp.getgrall())
    yield
    for entry in pwd.getpwall():
        if entry.pw_name.startswith("jupyter-") and entry.pw_name not in before:
            subprocess.run(["userdel", "--", entry.pw_name], check=True)
    if not group_existed and any(g.gr_name == "jupyterhub-students" for g in grp.getgrall()):
        subprocess.run(["groupdel", "jupyterhub-students"], check=True)

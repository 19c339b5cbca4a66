"""classroom-apply run as a program, with its files, the students' venv and systemctl redirected."""

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import CLOUD_INIT, class_secrets, class_settings

APPLY = CLOUD_INIT / "classroom-apply"


def make_wheel(directory: Path, name: str, version: str) -> None:
    """A minimal pure-Python wheel, so pip installs from disk (tests have no network)."""
    dist = f"{name}-{version}"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
              f"{len(text.encode())}" for path, text in files.items()]
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record + [f"{dist}.dist-info/RECORD,,"]) + "\n"
    with zipfile.ZipFile(directory / f"{dist}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory):
    """A real students' venv with pip, as install.sh makes it."""
    venv = tmp_path_factory.mktemp("opt") / "user"
    subprocess.run(["/usr/bin/python3.11", "-m", "venv", str(venv)], check=True)
    return venv


class Server:
    def __init__(self, root: Path, venv: Path):
        self.etc = root / "etc"
        self.wheels = root / "wheels"
        self.wheels.mkdir()
        self.venv = venv
        (self.venv / "classroom-course-packages.json").unlink(missing_ok=True)
        fake_bin = root / "bin"
        fake_bin.mkdir()
        systemctl = fake_bin / "systemctl"
        systemctl.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$SYSTEMCTL_LOG"\n')
        systemctl.chmod(0o755)
        self.systemctl_log = root / "systemctl.log"
        self.env = {
            "PATH": f"{fake_bin}:/usr/bin:/bin",
            # The hub venv has classroom_hub on its path through a .pth file.
            "PYTHONPATH": str(CLOUD_INIT / "python"),
            "CLASSROOM_SETTINGS": str(self.etc / "class.json"),
            "CLASSROOM_SECRETS": str(self.etc / "secrets.json"),
            "CLASSROOM_USER_VENV": str(venv),
            "CLASSROOM_TRAEFIK_ACME_ENV": str(self.etc / "traefik-acme.env"),
            "CLASSROOM_JUPYTER_ETC": str(root / "jupyter"),
            "CLASSROOM_GRADING": str(root / "srv" / "grading"),
            "CLASSROOM_SHARED_DATA": str(root / "srv" / "shared"),
            "CLASSROOM_VOLUME": str(root / "srv"),
            "SYSTEMCTL_LOG": str(self.systemctl_log),
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(self.wheels),
        }

    def apply(self, bundle, user: str | None = None) -> subprocess.CompletedProcess:
        text = bundle if isinstance(bundle, str) else json.dumps(bundle)
        command = [sys.executable, str(APPLY)]
        if user:
            command = [shutil.which("runuser"), "-u", user, "--", *command]
        # umask 0: the files' modes must not depend on the caller's umask.
        return subprocess.run(command, input=text, env=self.env, capture_output=True, text=True,
                              preexec_fn=lambda: os.umask(0))

    def systemctl_calls(self) -> list[str]:
        return self.systemctl_log.read_text().splitlines() if self.systemctl_log.exists() else []

    def has_package(self, name: str) -> bool:
        return subprocess.run([str(self.venv / "bin" / "python"), "-c", f"import {name}"]).returncode == 0


@pytest.fixture
def server(tmp_path, user_venv):
    return Server(tmp_path, user_venv)


def bundle(**setting_changes) -> dict:
    settings = class_settings("github")
    settings.update(setting_changes)
    return {"settings": settings, "secrets": {**class_secrets(), "courseRepoToken": "ghp_applyTestToken42"}}


def assert_no_secret_in(result: subprocess.CompletedProcess, sent: dict) -> None:
    for value in sent["secrets"].values():
        if value:
            assert value not in result.stdout + result.stderr


def with_course(b: dict) -> dict:
    b["settings"]["course"] = {"repositoryUrl": "https://github.com/example/engr101.git", "branch": "main",
                               "directory": "engr101"}
    return b


def test_writes_root_only_files_and_restarts_the_hub(server):
    sent = with_course(bundle())
    result = server.apply(sent)
    assert result.returncode == 0, result.stderr
    for name, expected in (("class.json", sent["settings"]), ("secrets.json", sent["secrets"])):
        path = server.etc / name
        st = path.stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
        assert json.loads(path.read_text()) == expected
    assert server.systemctl_calls() == ["restart jupyterhub.service"]
    assert "class.json: updated" in result.stdout and "secrets.json: updated" in result.stdout
    assert_no_secret_in(result, sent)
    assert sorted(p.name for p in server.etc.iterdir()) == ["class.json", "secrets.json"]  # no temporary files


def test_the_same_bundle_again_only_makes_sure_the_hub_runs(server):
    sent = with_course(bundle())
    server.apply(sent)
    result = server.apply(sent)
    assert result.returncode == 0, result.stderr
    assert "class.json: unchanged" in result.stdout and "secrets.json: unchanged" in result.stdout
    assert server.systemctl_calls() == ["restart jupyterhub.service", "start jupyterhub.service"]


def test_a_readable_file_becomes_root_only_even_when_its_content_is_current(server):
    sent = with_course(bundle())
    server.apply(sent)
    (server.etc / "secrets.json").chmod(0o644)
    assert server.apply(sent).returncode == 0
    assert stat.S_IMODE((server.etc / "secrets.json").stat().st_mode) == 0o600


def _bad(change):
    b = with_course(bundle())
    change(b)
    return b


@pytest.mark.parametrize("sent,expected", [
    ("{not json", "the bundle on stdin has 1 problem:\n  - is not JSON"),
    ({"settings": class_settings()}, "expected an object with exactly the keys settings and secrets"),
    (_bad(lambda b: b["settings"].update(version=2)), "version: got 2; this server reads version 1"),
    (_bad(lambda b: b["settings"]["auth"].pop("adminUsers")), "auth.adminUsers: is missing"),
    (_bad(lambda b: b["settings"].update(coursePackages=["--index-url=http://evil.example/simple"])),
     "coursePackages[0]: got \"--index-url=http://evil.example/simple\"; expected a pip requirement"),
    (_bad(lambda b: b["settings"]["loginPage"].update(helpLinks=[{"text": "x", "url": "javascript:alert(1)"}])),
     "loginPage.helpLinks[0].url"),
    (_bad(lambda b: b["settings"]["loginPage"].update(primaryColor="red;} body {display:none")), "loginPage.primaryColor"),
    (_bad(lambda b: b["settings"]["course"].update(directory="../../etc")), "course.directory"),
    (_bad(lambda b: b["settings"].update(auth={**class_settings("oidc")["auth"], "allowedUsers": ["ada@a.edu", "ada@b.edu"],
                                                 "adminUsers": []})),
     "auth.allowedUsers[1]: got \"ada@b.edu\"; expected the class's one e-mail domain, a.edu"),
    (_bad(lambda b: b["settings"]["auth"].update(allowedUsers=["first+cs@a.edu"])),
     "auth.allowedUsers[0]: got \"first+cs@a.edu\"; expected a user name or an e-mail address whose part before the @"),
    (_bad(lambda b: b["secrets"].update(cookieSecret="not-hex-but-secret-value")),
     "cookieSecret: got a secret value; expected 64 hex"),
    (_bad(lambda b: b["secrets"].update(courseRepoToken="ghp_line\nInjected: header")), "courseRepoToken: got a secret value"),
    (_bad(lambda b: b["settings"].update(perStudentOrigins="yes")), "perStudentOrigins: got \"yes\"; expected true or false"),
    (_bad(lambda b: b["settings"].update(perStudentOrigins=True)),
     "cloudflareDnsToken: expected a token exactly when perStudentOrigins is true"),
    (_bad(lambda b: b["secrets"].update(cloudflareDnsToken="cf-token-0123456789abcdef")),
     "cloudflareDnsToken: expected a token exactly when perStudentOrigins is true"),
    (_bad(lambda b: (b["settings"].update(perStudentOrigins=True),
                     b["secrets"].update(cloudflareDnsToken="cf-token-0123456789abcdef\nLEGO_CA_CERTIFICATES=/tmp/x"))),
     "cloudflareDnsToken: got a secret value; expected a Cloudflare API token"),
    (_bad(lambda b: b["secrets"].update(extra="an-unexpected-secret-value")),
     "secrets has 1 problem:\n  - extra: is not a known setting"),
])
def test_a_bad_bundle_changes_nothing_and_says_which_key(server, sent, expected):
    result = server.apply(sent)
    assert result.returncode == 2
    assert result.stderr.startswith("classroom-apply: nothing changed.")
    assert expected in result.stderr
    assert not server.etc.exists()
    assert server.systemctl_calls() == []
    if isinstance(sent, dict) and "secrets" in sent:
        assert_no_secret_in(result, sent)


def test_the_dns_token_goes_to_traefiks_root_only_environment_file_and_restarts_traefik(server):
    token = "cfToken_0123456789abcdefghijABCDEFGHIJ-xyz"
    sent = bundle(perStudentOrigins=True)
    sent["secrets"]["cloudflareDnsToken"] = token
    result = server.apply(sent)
    assert result.returncode == 0, result.stderr
    env = server.etc / "traefik-acme.env"
    st = env.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    assert env.read_text() == f"CLOUDFLARE_DNS_API_TOKEN={token}\n"
    assert server.systemctl_calls() == ["restart traefik.service", "restart jupyterhub.service"]
    assert_no_secret_in(result, sent)

    # The same token again: Traefik keeps running, its certificates and connections untouched.
    assert server.apply(sent).returncode == 0
    assert server.systemctl_calls()[2:] == ["start jupyterhub.service"]

    # Turned off: the token leaves the server and Traefik forgets it.
    assert server.apply(bundle()).returncode == 0
    assert not env.exists()
    assert server.systemctl_calls()[3:] == ["restart traefik.service", "restart jupyterhub.service"]


def test_course_packages_are_installed_only_when_they_change(server):
    make_wheel(server.wheels, "classroom_demo", "1.0")
    make_wheel(server.wheels, "classroom_demo", "2.0")
    first = server.apply(bundle(coursePackages=["classroom_demo==1.0"]))
    assert first.returncode == 0, first.stderr
    assert "course packages: installed classroom_demo==1.0" in first.stdout
    assert server.has_package("classroom_demo")

    # Taken away behind apply's back: an unchanged list must not reinstall it.
    subprocess.run([str(server.venv / "bin" / "python"), "-m", "pip", "uninstall", "-q", "-y", "classroom_demo"], check=True)
    again = server.apply(bundle(coursePackages=["classroom_demo==1.0"]))
    assert "course packages: unchanged" in again.stdout
    assert not server.has_package("classroom_demo")

    changed = server.apply(bundle(coursePackages=["classroom_demo==2.0"]))
    assert "course packages: installed classroom_demo==2.0" in changed.stdout
    version = subprocess.run([str(server.venv / "bin" / "python"), "-c", "import classroom_demo; print(classroom_demo.VERSION)"],
                             capture_output=True, text=True).stdout.strip()
    assert version == "2.0"


def test_a_package_that_cannot_be_installed_changes_nothing_else(server):
    sent = bundle(coursePackages=["classroom-missing==9.9"])
    result = server.apply(sent)
    assert result.returncode == 1
    assert "classroom-apply:" in result.stderr
    assert not server.etc.exists() and server.systemctl_calls() == []
    assert_no_secret_in(result, sent)


def test_refuses_to_run_without_root(server):
    result = server.apply(bundle(), user="nobody")
    assert result.returncode == 1
    assert "run it as root" in result.stderr


def test_disk_quotas_say_plainly_when_the_volume_cannot_enforce_them(server):
    """The quota's own enforcement is test_quotas.py's; here, what classroom-apply reports."""
    result = server.apply(bundle(diskQuotaGb=5))
    assert result.returncode == 0, result.stderr
    assert "disk quotas: NOT enforced: " in result.stdout and "is not mounted" in result.stdout
    assert "disk quotas: none" in server.apply(bundle()).stdout

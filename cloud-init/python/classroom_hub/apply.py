"""classroom-apply: puts a new class settings bundle in place on the server.

    sudo classroom-apply < bundle.json    # {"settings": ClassSettings, "secrets": ClassSecrets}

The whole bundle is checked before anything changes. Then coursePackages are installed into the
students' venv when they differ from the last install there, the shared data folder is opened to
students or closed to them (sharedData; shared_data.py), every student's disk quota is set
(diskQuotaGb; quotas.py), class.json and secrets.json are
written (root, 0600, atomically), and jupyterhub.service is restarted when either changed, or
started when not. With perStudentOrigins, the Cloudflare token also goes to traefik-acme.env
(root, 0600), Traefik's EnvironmentFile, and traefik.service restarts when it changed. It prints
what it did and never a secret's value. Exit status: 0 done, 2 bad bundle (nothing changed),
1 failed.

With grading (nbgrader), it first makes the grader account, the exchange and the course directory
and writes nbgrader's global config (grading.py); every run writes which nbgrader plugins students'
JupyterLab shows.

systemctl is found on PATH (sudo's secure_path on the server); CLASSROOM_SETTINGS,
CLASSROOM_SECRETS, CLASSROOM_TRAEFIK_ACME_ENV, CLASSROOM_USER_VENV, CLASSROOM_SHARED_DATA,
CLASSROOM_VOLUME, CLASSROOM_GRADING and CLASSROOM_JUPYTER_ETC point at other files, for tests.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from .grading import GRADING, JUPYTER_ETC, GradingError, prepare_grading
from .settings import SettingsError, check_secrets, check_settings, secrets_path, settings_path
from .quotas import set_limits, staff_accounts, volume_root
from .shared_data import prepare_folder, shared_data_root

BUNDLE = "the bundle on stdin"


def user_venv() -> Path:
    return Path(os.environ.get("CLASSROOM_USER_VENV", "/opt/jupyterhub-classroom/user"))


def grading_paths() -> dict:
    return {"root": Path(os.environ.get("CLASSROOM_GRADING", GRADING)),
            "jupyter_etc": Path(os.environ.get("CLASSROOM_JUPYTER_ETC", JUPYTER_ETC))}


def traefik_acme_env() -> Path:
    return Path(os.environ.get("CLASSROOM_TRAEFIK_ACME_ENV", "/etc/jupyterhub-classroom/traefik-acme.env"))


def write_traefik_acme_env(token: str | None, path: Path) -> bool:
    """Traefik's DNS-01 credentials, or none; returns whether the file changed. secrets.schema.json
    allows only [A-Za-z0-9_-] in the token, so the line needs no quoting."""
    if token is None:
        try:
            path.unlink()
            return True
        except FileNotFoundError:
            return False
    return write_atomically(path, f"CLOUDFLARE_DNS_API_TOKEN={token}\n", 0o600)


def read_bundle(text: str) -> tuple[dict, dict]:
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as e:
        raise SettingsError(BUNDLE, [f"is not JSON ({e.msg} at line {e.lineno} column {e.colno})"]) from None
    if not isinstance(bundle, dict) or set(bundle) != {"settings", "secrets"}:
        raise SettingsError(BUNDLE, ["expected an object with exactly the keys settings and secrets"])
    settings = check_settings(bundle["settings"], "settings")
    return settings, check_secrets(bundle["secrets"], settings, "secrets")


def write_atomically(path: Path, content: str, mode: int) -> bool:
    """Replaces path with content unless it already holds it; returns whether it changed.

    The file is created with its final mode before anything is written to it, so a secret is never
    readable by others, not even for a moment, whatever the umask.
    """
    try:
        if stat.S_IMODE(path.stat().st_mode) == mode and path.read_text() == content:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode), "w") as f:
            os.fchmod(f.fileno(), mode)
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def install_course_packages(packages: list[str], venv: Path) -> str:
    """pip-installs the packages when they differ from the last install recorded in the venv. The
    record lives in the venv, so a rebuilt venv gets them again. Packages dropped from the list
    stay installed: removing one could break a student's running kernel."""
    record = venv / "classroom-course-packages.json"
    wanted = sorted(packages)
    try:
        if json.loads(record.read_text()) == wanted:
            return "unchanged"
    except (FileNotFoundError, ValueError):
        pass
    if wanted:
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input",
                        "--disable-pip-version-check", "--", *wanted], check=True, stdout=sys.stderr)
    write_atomically(record, json.dumps(wanted) + "\n", 0o644)
    return f"installed {', '.join(wanted)}" if wanted else "none wanted (removed ones stay installed)"


def main() -> int:
    if os.geteuid() != 0:
        print("classroom-apply: run it as root: sudo classroom-apply < bundle.json", file=sys.stderr)
        return 1
    # Whatever sudo's umask: pip's files in the students' venv must stay readable by students.
    os.umask(0o022)
    try:
        settings, secrets = read_bundle(sys.stdin.read())
    except SettingsError as e:
        print(f"classroom-apply: nothing changed. {e}", file=sys.stderr)
        return 2
    try:
        print(f"course packages: {install_course_packages(settings['coursePackages'], user_venv())}")
        print(f"shared data: {prepare_folder(settings['sharedData'], shared_data_root())}")
        print(f"disk quotas: {set_limits(settings['diskQuotaGb'], staff_accounts(settings['auth']), volume_root())}")
        # Before class.json: the hub it restarts runs the formgrader as the grader account made here.
        for line in prepare_grading(settings, write_atomically, **grading_paths()):
            print(line)
        changed = False
        for name, path, data in (("class.json", settings_path(), settings), ("secrets.json", secrets_path(), secrets)):
            wrote = write_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n", 0o600)
            print(f"{name}: {'updated' if wrote else 'unchanged'}")
            changed |= wrote
        systemctl = shutil.which("systemctl")
        if systemctl is None:
            raise FileNotFoundError("systemctl is not on PATH")
        if write_traefik_acme_env(secrets["cloudflareDnsToken"], traefik_acme_env()):
            # Traefik reads its environment only at start; it then asks for the certificate again.
            subprocess.run([systemctl, "restart", "traefik.service"], check=True)
            print("traefik-acme.env: updated; traefik.service: restarted")
        subprocess.run([systemctl, "restart" if changed else "start", "jupyterhub.service"], check=True)
        print(f"jupyterhub.service: {'restarted' if changed else 'running'}")
    except (OSError, subprocess.CalledProcessError, GradingError) as e:
        print(f"classroom-apply: {e}", file=sys.stderr)
        return 1
    return 0

"""Installs a lock file into its Python environment, upgrading it in place when the lock changed.

install.sh runs `classroom-upgrade-env hub` and `classroom-upgrade-env user`, on the first boot and
on every sync. Nothing happens while the lock is the one installed last (its sha256 is kept in the
environment). When the hub's lock changed and a hub database exists, the hub is stopped, the
database copied (backups/jupyterhub-<time>.sqlite), the lock installed, the schema migrated and
the hub started. Students' servers keep running throughout: they are separate units, and
they load the upgraded students' environment when they next start.

In the students' environment, every run also makes sure `pip install --user` works
(let_students_install_for_themselves), without reinstalling: servers installed before get it at
their next sync.
"""

import argparse
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from . import layout, systemd
from .hubdb import back_up_database, upgrade_database
from .retention import NotEnoughSpace

ENVIRONMENTS = ("hub", "user")
STAMP = "installed-lock.sha256"
SYSTEM_SITE_SETTING = re.compile(r"^include-system-site-packages\s*=.*$", re.MULTILINE)
# A .pth file of the students' environment. site.py adds this environment's packages (running its
# .pth files) before it reads site.PREFIXES for the system's; with the list empty it adds only
# this environment again, as a venv without system packages does. A line starting with `import`
# is the only kind a .pth file runs.
SYSTEM_SITE_OFF_FILE = "jupyterhub_classroom_no_system_site.pth"
SYSTEM_SITE_OFF = """\
# jupyterhub-classroom: the system's Python packages stay out of the students' environment
# (classroom_ops/upgrade.py, let_students_install_for_themselves).
import site; site.PREFIXES.clear()
"""


def install_lock(venv: Path, lock: Path) -> None:
    """pip with the lock's hashes and no resolver: the lock names every dependency (tools/lock.py)."""
    if not (venv / "bin" / "python").exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-input", "--require-hashes", "--no-deps", "-r", str(lock)], check=True)


def let_students_install_for_themselves(venv: Path) -> bool:
    """Lets `pip install --user` into ~/.local work in the students' environment, which still
    hides the system's packages; True when it changed something.

    pip refuses --user in a venv whose pyvenv.cfg says `include-system-site-packages = false`, and
    Python then leaves ~/.local out of sys.path; with `true` both work, but Python would also add
    the system's packages (/usr/lib/python3/dist-packages: Debian's, cloud-init's), which pip would
    then count as installed for course packages. SYSTEM_SITE_OFF keeps them out. Python's order on
    sys.path: this environment, then the student's ~/.local, so ~/.local adds packages and never
    replaces the class's. The students' servers run with `python -s` (jupyterhub_config.py):
    ~/.local reaches only their kernels and terminals. Nothing is reinstalled: Python reads both
    files at every start."""
    config = venv / "pyvenv.cfg"
    # Without the line, both read it as true.
    settings = SYSTEM_SITE_SETTING.sub("include-system-site-packages = true", config.read_text())
    site_packages = venv.glob("lib/python3.*/site-packages")
    # The .pth first: no Python may start with `true` and without it.
    changed = [put_file(site_packages_dir / SYSTEM_SITE_OFF_FILE, SYSTEM_SITE_OFF) for site_packages_dir in site_packages]
    if not changed:
        raise RuntimeError(f"{venv} has no lib/python3.*/site-packages")
    return put_file(config, settings) or any(changed)


def put_file(path: Path, text: str) -> bool:
    """Writes path (0644) unless it holds text already; a Python starting meanwhile reads the old
    file or the new one, never half of one."""
    if path.exists() and path.read_text() == text:
        return False
    draft = path.with_name(path.name + ".new")
    draft.write_text(text)
    draft.chmod(0o644)
    os.replace(draft, path)
    return True


def upgrade_hub(venv: Path, lock: Path) -> None:
    hub_was_active = systemd.is_active(layout.HUB_UNIT)
    if hub_was_active:
        systemd.stop(layout.HUB_UNIT)
    try:
        backup = back_up_database(layout.HUB_DATABASE, layout.HUB_DATABASE_BACKUPS)
    except NotEnoughSpace as err:
        if hub_was_active:
            systemd.start(layout.HUB_UNIT)
        raise RuntimeError(f"{err}\nNothing was changed.") from None
    print(f"classroom-upgrade-env: the hub database is backed up as {backup}")
    try:
        install_lock(venv, lock)
        upgrade_database()
    except (subprocess.CalledProcessError, RuntimeError) as err:
        if hub_was_active:
            # The old environment is intact unless pip got as far as installing.
            systemd.start(layout.HUB_UNIT)
        raise RuntimeError(f"{err}\nThe database as it was before the upgrade is {backup}; to go back,"
                           " see docs/operations.md") from None
    # A database means the hub has served this class: it runs again, also when it had been
    # stopped to put a backup in place.
    systemd.start(layout.HUB_UNIT)


def upgrade(environment: str) -> bool:
    """True when it installed something; raises RuntimeError when it could not."""
    venv = layout.VENVS / environment
    lock = layout.REQUIREMENTS / f"{environment}.txt"
    stamp = venv / STAMP
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return False
    if environment == "hub" and layout.HUB_DATABASE.exists():
        upgrade_hub(venv, lock)
    else:
        try:
            install_lock(venv, lock)
        except subprocess.CalledProcessError as err:
            raise RuntimeError(str(err)) from None
    stamp.write_text(wanted + "\n")
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="classroom-upgrade-env", description=__doc__.splitlines()[0])
    parser.add_argument("environment", choices=ENVIRONMENTS)
    args = parser.parse_args(argv)
    try:
        changed = upgrade(args.environment)
        # Whether the lock changed or not: environments made before the setting existed get it.
        if args.environment == "user" and let_students_install_for_themselves(layout.VENVS / "user"):
            print(f"classroom-upgrade-env: students' `pip install --user` now installs into their ~/.local"
                  f" ({layout.VENVS / 'user' / 'pyvenv.cfg'})")
    except (RuntimeError, OSError, sqlite3.Error) as err:
        print(f"classroom-upgrade-env: upgrading the {args.environment} environment failed: {err}", file=sys.stderr)
        return 1
    lock = layout.REQUIREMENTS / f"{args.environment}.txt"
    print(f"classroom-upgrade-env: {layout.VENVS / args.environment} {'now has' if changed else 'already has'} {lock}")
    return 0

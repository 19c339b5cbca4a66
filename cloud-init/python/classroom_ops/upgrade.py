"""Installs a lock file into its Python environment, upgrading it in place when the lock changed.

install.sh runs `classroom-upgrade-env hub` and `classroom-upgrade-env user`, on the first boot and
on every sync. Nothing happens while the lock is the one installed last (its sha256 is kept in the
environment). When the hub's lock changed and a hub database exists, the hub is stopped, the
database copied (backups/jupyterhub-<time>.sqlite), the lock installed, the schema migrated and
the hub started. Students' servers keep running throughout: they are separate units, and
they load the upgraded students' environment when they next start.
"""

import argparse
import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from . import layout, systemd
from .hubdb import back_up_database, upgrade_database
from .retention import NotEnoughSpace

ENVIRONMENTS = ("hub", "user")
STAMP = "installed-lock.sha256"


def install_lock(venv: Path, lock: Path) -> None:
    """pip with the lock's hashes and no resolver: the lock names every dependency (tools/lock.py)."""
    if not (venv / "bin" / "python").exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-input", "--require-hashes", "--no-deps", "-r", str(lock)], check=True)


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
    except (RuntimeError, OSError, sqlite3.Error) as err:
        print(f"classroom-upgrade-env: upgrading the {args.environment} environment failed: {err}", file=sys.stderr)
        return 1
    lock = layout.REQUIREMENTS / f"{args.environment}.txt"
    print(f"classroom-upgrade-env: {layout.VENVS / args.environment} {'now has' if changed else 'already has'} {lock}")
    return 0

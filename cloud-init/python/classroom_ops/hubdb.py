"""Consistent copies of the hub's SQLite database."""

import os
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from . import layout
from .retention import DATABASE_BACKUPS_KEPT, prune, require_room


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def copy_database(source: Path, target: Path) -> None:
    """Copies with SQLite's online backup, so a hub writing meanwhile cannot leave a torn copy.

    The copy is root-only from its first byte: the database holds the users' OAuth tokens.
    """
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    # mode=ro: a missing or unreadable source is an error here, not a new empty database.
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def back_up_database(database: Path, backups: Path) -> Path:
    """A timestamped copy next to the others, e.g. backups/jupyterhub-20250301T120000Z.sqlite; only
    the newest DATABASE_BACKUPS_KEPT stay. Raises NotEnoughSpace, before writing anything, when the
    disk has no room for it."""
    backups.mkdir(mode=0o700, parents=True, exist_ok=True)
    require_room(backups, database.stat().st_size, "a backup of the hub database",
                 f"Remove older backups from {backups} (`sudo rm`), or make room on the Droplet's disk.")
    target = backups / f"{database.stem}-{utc_stamp()}.sqlite"
    copy_database(database, target)
    for old in prune(backups, f"{database.stem}-*.sqlite", DATABASE_BACKUPS_KEPT):
        print(f"removed an older hub database backup: {old}")
    return target


def upgrade_database() -> None:
    """Migrates the schema to the installed JupyterHub's (a no-op when it is current).

    The `upgrade-db` subcommand, not the `--upgrade-db` flag, which would go on to start a hub.
    """
    hub_bin = layout.HUB_VENV / "bin"
    # JupyterHub runs the `alembic` command of its own environment, found through PATH.
    environment = {**os.environ, "PATH": f"{hub_bin}:{os.environ.get('PATH', os.defpath)}"}
    result = subprocess.run([str(hub_bin / "python"), "-m", "jupyterhub", "upgrade-db", "-f", str(layout.HUB_CONFIG)],
                            cwd=layout.HUB_STATE, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise RuntimeError(f"jupyterhub upgrade-db failed (exit {result.returncode}):\n{output}")

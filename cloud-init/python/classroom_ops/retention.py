"""How many archives and hub database backups the server keeps, and room for a new one.

Both are copies made on the Droplet's own disk: archives of the students' homes (classroom-archive;
the originals stay on the students' volume, and `npm run archive` keeps its download) and hub
database backups (before an upgrade or a restore replaces the database). Nothing else prunes them,
and a full disk stops the hub, so each kind keeps only its newest few (docs/operations.md,
"What the server keeps"), and nothing is written without room for it.
"""

import shutil
from pathlib import Path

# An archive holds every home: large. The newest three cover an archive taken before a risky
# change, and the one before it.
ARCHIVES_KEPT = 3
# A database backup is small (the hub's users and tokens); ten go back several upgrades.
DATABASE_BACKUPS_KEPT = 10
# Left free for the rest of the server (the journal, apt's updates, the hub database growing).
RESERVE = 256 * 1024 * 1024


class NotEnoughSpace(RuntimeError):
    pass


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"


def require_room(directory: Path, needed: int, what: str, advice: str) -> None:
    """Raises NotEnoughSpace, saying how much is needed and how much is free, unless the file system
    of directory has `needed` bytes free beyond RESERVE."""
    free = shutil.disk_usage(directory).free
    if free < needed + RESERVE:
        raise NotEnoughSpace(
            f"not enough free space in {directory} for {what}: it needs up to {size_text(needed)}, and"
            f" {size_text(RESERVE)} stay free for the server, but only {size_text(free)} is free. {advice}")


def kept(directory: Path, pattern: str) -> list[Path]:
    """The files of directory matching pattern, oldest first (their names end in a UTC time)."""
    return sorted(directory.glob(pattern)) if directory.is_dir() else []


def prune(directory: Path, pattern: str, keep: int) -> list[Path]:
    """Removes all but the newest `keep` files matching pattern; returns the removed ones."""
    files = kept(directory, pattern)
    removed = files[:max(len(files) - keep, 0)]
    for path in removed:
        path.unlink()
    return removed

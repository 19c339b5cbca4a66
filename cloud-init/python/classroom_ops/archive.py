"""Archives the students' homes, the shared data folder, the grading files (nbgrader's exchange and
gradebook) and the hub database into one tar.gz.

Run as root through sudo by tools/archive.ts (npm run archive, and before the Droplet is deleted).
The archive stays in a root-only directory, with the newest ARCHIVES_KEPT before it; a copy goes
to the admin's home for scp to fetch. Nothing is written without room for it on the disk.
The last two lines printed, `archive: PATH` and `sha256: HEX`, are what the downloader reads.
"""

import argparse
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from classroom_hub.grading import GRADER

from . import layout
from .hubdb import copy_database, utc_stamp
from .retention import ARCHIVES_KEPT, NotEnoughSpace, kept, prune, require_room

FORMAT = 1
DOWNLOADS = "classroom-archives"
# GNU tar's exit status 1: some file changed while it was read (a student saving): still an archive.
TAR_FILES_CHANGED = 1
ARCHIVE_PATTERN = "classroom-*.tar.gz"
TAR_BLOCK = 512


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as archive:
        for block in iter(lambda: archive.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_size_bound() -> int:
    """At most the size of the archive: what tar writes for each entry (a header block, the file's
    data in whole blocks) and the database, before gzip, which shrinks most of it and grows the
    rest by a fraction of a percent."""
    total = layout.HUB_DATABASE.stat().st_size + TAR_BLOCK if layout.HUB_DATABASE.exists() else 0
    trees = [*(layout.HOMES.iterdir() if layout.HOMES.is_dir() else []), *volume_folders()[1:]]
    for tree in trees:
        for directory, subdirectories, files in os.walk(tree):
            if tree.parent == layout.HOMES and Path(directory) == tree and ".cache" in subdirectories:
                subdirectories.remove(".cache")
            if Path(directory) == layout.GRADING / GRADER:
                subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
                files = [f for f in files if not f.startswith(".")]
            total += TAR_BLOCK * (1 + len(subdirectories))
            for name in files:
                size = os.lstat(os.path.join(directory, name)).st_size
                total += TAR_BLOCK * (1 + -(-size // TAR_BLOCK))
    return total + total // 100 + 64 * 1024


def volume_folders() -> list[Path]:
    """What of the volume the archive holds: the homes, and the shared data folder and the grading
    files if there are."""
    return [layout.HOMES, *(folder for folder in (layout.SHARED_DATA, layout.GRADING) if folder.is_dir())]


def room_advice(directory: Path) -> str:
    archives = [path.name for path in kept(directory, ARCHIVE_PATTERN)]
    listed = f" (it keeps {', '.join(archives)})" if archives else ""
    return (f"Remove archives you have downloaded from {directory}{listed} with `sudo rm`, or make room"
            " on the Droplet's disk.")


def make_archive(target: Path) -> None:
    """Writes target: home/<account>/…, shared/… and grading/… as on the volume (owners by name and id, modes,
    times), hub/jupyterhub.sqlite (a consistent copy) and archive.json (what and when)."""
    if not layout.HOMES.is_dir():
        raise SystemExit(f"classroom-archive: {layout.HOMES} is missing; is the students' volume mounted?")
    with tempfile.TemporaryDirectory(dir=target.parent) as staging_dir:
        staging = Path(staging_dir)
        extras = ["archive.json"]
        if layout.HUB_DATABASE.exists():
            copy_database(layout.HUB_DATABASE, staging / "hub" / "jupyterhub.sqlite")
            extras.append("hub")
        else:
            print(f"classroom-archive: no hub database at {layout.HUB_DATABASE}; archiving the homes only", file=sys.stderr)
        (staging / "archive.json").write_text(json.dumps({
            "format": FORMAT, "server": socket.getfqdn(), "created": utc_stamp(),
        }) + "\n")
        tar = subprocess.run([
            "tar", "--create", "--gzip", "--file", str(target),
            # Caches (pip's, matplotlib's, …) are rebuilt on use and are often most of a home's size.
            "--exclude", f"{layout.HOMES.name}/*/.cache",
            # The grader's own dot-files (its JupyterLab's and kernels' state) are no coursework, and
            # the formgrader of a class restored into makes them again.
            "--exclude", f"{layout.GRADING.name}/{GRADER}/.*",
            "--directory", str(layout.HOMES.parent), *(folder.name for folder in volume_folders()),
            "--directory", str(staging), *extras,
        ])
        if tar.returncode == TAR_FILES_CHANGED:
            print("classroom-archive: some files changed while they were archived (students at work);"
                  " their archived copy may be a moment old", file=sys.stderr)
        elif tar.returncode != 0:
            raise SystemExit(f"classroom-archive: tar failed (exit {tar.returncode}); no archive was made")


def hand_over(archive: Path, owner: str) -> Path:
    """A copy the admin user can scp: ~owner/classroom-archives/<name>, readable by owner only.

    Copies an earlier run left (its download failed) go first: the originals stay in ARCHIVES."""
    account = pwd.getpwnam(owner)
    downloads = Path(account.pw_dir) / DOWNLOADS
    downloads.mkdir(mode=0o700, exist_ok=True)
    os.chown(downloads, account.pw_uid, account.pw_gid)
    prune(downloads, ARCHIVE_PATTERN, 0)
    require_room(downloads, archive.stat().st_size, "the copy to download",
                 "Make room on the Droplet's disk, or copy the archive itself with scp as root.")
    copy = downloads / archive.name
    with archive.open("rb") as source, open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)
        os.fchown(target.fileno(), account.pw_uid, account.pw_gid)
    return copy


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="classroom-archive", description=__doc__.splitlines()[0])
    parser.add_argument("--owner", default=os.environ.get("SUDO_USER"),
                        help="who gets a copy to download (default: the user who ran sudo)")
    args = parser.parse_args(argv)
    layout.ARCHIVES.mkdir(mode=0o700, parents=True, exist_ok=True)
    layout.ARCHIVES.chmod(0o700)
    archive = layout.ARCHIVES / f"classroom-{utc_stamp()}.tar.gz"
    partial = archive.with_name(f".{archive.name}.partial")
    try:
        require_room(layout.ARCHIVES, archive_size_bound(), "the archive", room_advice(layout.ARCHIVES))
        make_archive(partial)
        partial.chmod(0o600)
        partial.rename(archive)
        download = hand_over(archive, args.owner) if args.owner and args.owner != "root" else archive
    except NotEnoughSpace as err:
        raise SystemExit(f"classroom-archive: {err}") from None
    finally:
        partial.unlink(missing_ok=True)
    checksum = sha256_file(archive)
    print(f"kept on the server: {archive}")
    # Only once the new one is complete: a failed run never leaves fewer archives than before.
    for old in prune(layout.ARCHIVES, ARCHIVE_PATTERN, ARCHIVES_KEPT):
        print(f"removed an older archive (the server keeps the newest {ARCHIVES_KEPT}): {old}")
    print(f"archive: {download}")
    print(f"sha256: {checksum}")
    return 0

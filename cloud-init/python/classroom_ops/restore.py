"""Restores an archive made by classroom-archive onto this server: students' homes, the shared data
folder and the grading files (nbgrader's exchange and gradebook), then the hub database.

Student-safe by construction: it refuses to touch a home that already holds files unless
--force-merge is given, and even then never replaces, truncates or writes through anything that
exists (the student's version stays; the archived entry is listed as skipped). Each account is
created the way the hub creates it at first login (classroom_hub.accounts) and files get their
owners by name, so a restored home belongs to the same student on the new server. The shared data
folder is restored the same way (refused when it holds files, merged with --force-merge), and
stays closed to students until classroom-apply opens it (sharedData). The grading files go back
the same way, the grader account made as classroom-apply makes it (grading.py).
"""

import argparse
import grp
import json
import os
import pwd
import stat
import sys
import tarfile
import tempfile
from pathlib import Path

from types import SimpleNamespace

from classroom_hub.accounts import AccountError, ensure_account
from classroom_hub.grading import GRADER, GradingError, ensure_grader
from classroom_hub.shared_data import CLOSED_MODE, staff_gid
from classroom_hub.usernames import is_student_account

from . import layout, systemd
from .archive import FORMAT
from .hubdb import back_up_database, upgrade_database

MANIFEST = "archive.json"
DATABASE_MEMBER = "hub/jupyterhub.sqlite"
NO_FOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


class Refused(Exception):
    pass


def home_parts(name: str) -> list[str]:
    """["jupyter-ada", "notes", "x.ipynb"] for home/jupyter-ada/notes/x.ipynb; refuses anything else."""
    parts = name.rstrip("/").split("/")
    if parts[0] != layout.HOMES.name or len(parts) < 2 or not is_student_account(parts[1]) \
            or any(p in ("", ".", "..") for p in parts):
        raise Refused(f"{name!r} is not a path this restore writes (home/jupyter-<name>/…)")
    return parts[1:]


def shared_parts(name: str) -> list[str]:
    """["week1", "data.csv"] for shared/week1/data.csv; refuses anything outside the shared folder."""
    parts = name.rstrip("/").split("/")
    if parts[0] != layout.SHARED_DATA.name or any(p in ("", ".", "..") for p in parts):
        raise Refused(f"{name!r} is not a path this restore writes (shared/…)")
    return parts[1:]


def grading_parts(name: str) -> list[str]:
    """["exchange", "engr101"] for grading/exchange/engr101; refuses anything outside the grading files."""
    parts = name.rstrip("/").split("/")
    if parts[0] != layout.GRADING.name or any(p in ("", ".", "..") for p in parts):
        raise Refused(f"{name!r} is not a path this restore writes (grading/…)")
    return parts[1:]


def is_grading(name: str) -> bool:
    return name == layout.GRADING.name or name.startswith(f"{layout.GRADING.name}/")


def is_shared(name: str) -> bool:
    return name == layout.SHARED_DATA.name or name.startswith(f"{layout.SHARED_DATA.name}/")


def scan(archive: Path) -> tuple[list[str], bool, bool, bool]:
    """One pass over the archive before anything is written: the accounts, whether it holds shared
    data, whether it holds a database, and whether it holds grading files."""
    accounts, manifest, has_database, has_shared, has_grading = set(), None, False, False, False
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            if member.name == MANIFEST:
                manifest = json.load(tar.extractfile(member))
            elif member.name == DATABASE_MEMBER:
                has_database = True
            elif is_grading(member.name):
                grading_parts(member.name)
                if member.islnk():
                    grading_parts(member.linkname)
                has_grading = True
            elif is_shared(member.name):
                shared_parts(member.name)
                if member.islnk():
                    shared_parts(member.linkname)
                has_shared = True
            elif member.name not in ("hub", layout.HOMES.name):
                parts = home_parts(member.name)
                if member.islnk() and home_parts(member.linkname)[0] != parts[0]:
                    raise Refused(f"{member.name!r} is a hard link out of its home")
                accounts.add(parts[0])
    if manifest is None:
        raise Refused(f"{archive} was not made by classroom-archive (no {MANIFEST})")
    if manifest.get("format") != FORMAT:
        raise Refused(f"{archive} is archive format {manifest.get('format')}; this server reads format {FORMAT}")
    return sorted(accounts), has_shared, has_database, has_grading


def holds_coursework(grading: Path) -> bool:
    """Files in the exchange or the course directories; the grader's own dot-files (its JupyterLab's
    and kernels' state, which archives leave out) are no coursework."""
    for directory, subdirectories, files in os.walk(grading):
        if Path(directory) == grading / GRADER:
            subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
            files = [f for f in files if not f.startswith(".")]
        if files:
            return True
    return False


def refuse_unless_empty(accounts: list[str], has_shared: bool, has_grading: bool = False) -> None:
    occupied = [a for a in accounts if (layout.HOMES / a).is_dir() and any((layout.HOMES / a).iterdir())]
    if has_shared and layout.SHARED_DATA.is_dir() and any(layout.SHARED_DATA.iterdir()):
        occupied.append(f"the shared data folder {layout.SHARED_DATA}")
    if has_grading and holds_coursework(layout.GRADING):
        occupied.append(f"the grading files {layout.GRADING}")
    if occupied:
        raise Refused(f"these already hold files: {', '.join(occupied)}. Nothing was changed. To add the"
                      " archived files they lack (existing files are never replaced), run again with --force-merge")


def copy_out(tar: tarfile.TarFile, member: tarfile.TarInfo, fd: int) -> None:
    """Writes the member's bytes to fd, and closes it."""
    with os.fdopen(fd, "wb") as target:
        source = tar.extractfile(member)
        while block := source.read(1 << 20):
            target.write(block)


def open_parent(homes_fd: int, parts: list[str]) -> int | None:
    """The directory that holds parts[-1], reached without following any symlink; None if there is none."""
    fd = os.dup(homes_fd)
    try:
        for part in parts[:-1]:
            child = os.open(part, NO_FOLLOW_DIR, dir_fd=fd)
            os.close(fd)
            fd = child
        return fd
    except OSError:
        os.close(fd)
        return None


def owner_of(member: tarfile.TarInfo, student: pwd.struct_passwd) -> tuple[int, int]:
    """Owner and group by name, as on the old server. A name unknown here falls back to the home's
    student, never to the old numeric id, which may belong to someone else on this server."""
    try:
        uid = pwd.getpwnam(member.uname).pw_uid
    except KeyError:
        uid = student.pw_uid
    try:
        gid = grp.getgrnam(member.gname).gr_gid
    except KeyError:
        gid = student.pw_gid
    return uid, gid


def create_entry(tar: tarfile.TarFile, member: tarfile.TarInfo, homes_fd: int, parts: list[str],
                 student: pwd.struct_passwd, parts_of=home_parts) -> bool:
    """Creates one archived entry where nothing is in its place; False when it was skipped."""
    parent = open_parent(homes_fd, parts)
    if parent is None:
        return False
    name = parts[-1]
    uid, gid = owner_of(member, student)
    try:
        if member.isdir():
            os.mkdir(name, 0o700, dir_fd=parent)
            fd = os.open(name, NO_FOLLOW_DIR, dir_fd=parent)
        elif member.isfile():
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=parent)
            copy_out(tar, member, os.dup(fd))
        elif member.issym():
            os.symlink(member.linkname, name, dir_fd=parent)
            os.chown(name, uid, gid, dir_fd=parent, follow_symlinks=False)
            return True
        elif member.islnk():
            source_parent = open_parent(homes_fd, parts_of(member.linkname))
            if source_parent is None:
                return False
            try:
                os.link(Path(member.linkname).name, name, src_dir_fd=source_parent, dst_dir_fd=parent,
                        follow_symlinks=False)
            finally:
                os.close(source_parent)
            return True
        else:
            return False  # devices and fifos: never a student's work
        try:
            os.fchown(fd, uid, gid)
            os.fchmod(fd, member.mode & 0o7777)  # after chown, which clears set-id bits
            if not member.isdir():  # a directory's time changes again as its files are created
                os.utime(fd, (member.mtime, member.mtime))
        finally:
            os.close(fd)
        return True
    except FileExistsError:
        # An existing directory is merged into; anything else in the way stays as it is.
        return member.isdir() and stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    finally:
        os.close(parent)


def extract(archive: Path, students: dict[str, pwd.struct_passwd], database: Path, has_shared: bool,
            grader: pwd.struct_passwd | None = None) -> list[str]:
    """One pass: homes', shared and grading entries into place, the database to `database`; returns
    what was skipped. In grading, an owner unknown here gets the grader."""
    skipped = []
    homes_fd = os.open(layout.HOMES, NO_FOLLOW_DIR)
    shared_fd = os.open(shared_folder(), NO_FOLLOW_DIR) if has_shared else None
    grading_fd = os.open(layout.GRADING, NO_FOLLOW_DIR) if grader else None
    # An owner the new server does not know: root, and the course staff's group.
    staff = SimpleNamespace(pw_uid=0, pw_gid=staff_gid()) if has_shared else None
    try:
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
                if member.name == DATABASE_MEMBER:
                    copy_out(tar, member, os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                elif is_grading(member.name):
                    parts = grading_parts(member.name)
                    if parts and not create_entry(tar, member, grading_fd, parts, grader, grading_parts):
                        skipped.append(member.name)
                elif is_shared(member.name):
                    parts = shared_parts(member.name)
                    if parts and not create_entry(tar, member, shared_fd, parts, staff, shared_parts):
                        skipped.append(member.name)
                elif member.name.startswith(f"{layout.HOMES.name}/"):
                    parts = home_parts(member.name)
                    # The home itself was made by ensure_account, as the hub makes it.
                    if len(parts) > 1 and not create_entry(tar, member, homes_fd, parts, students[parts[0]]):
                        skipped.append(member.name)
    finally:
        os.close(homes_fd)
        for fd in (shared_fd, grading_fd):
            if fd is not None:
                os.close(fd)
    return skipped


def shared_folder() -> Path:
    """The shared data folder, made closed to students if this server has none yet."""
    if not layout.SHARED_DATA.is_dir():
        layout.SHARED_DATA.mkdir(mode=0o700)
        os.chown(layout.SHARED_DATA, 0, staff_gid())
        os.chmod(layout.SHARED_DATA, CLOSED_MODE)
    return layout.SHARED_DATA


def replace_database(restored: Path) -> None:
    """The archived database in place of the current one, which is kept as a backup first."""
    # Before the hub stops: with no room for the backup, the restore ends with the hub running.
    if layout.HUB_DATABASE.exists():
        print(f"kept the current hub database as {back_up_database(layout.HUB_DATABASE, layout.HUB_DATABASE_BACKUPS)}")
    hub_was_active = systemd.is_active(layout.HUB_UNIT)
    if hub_was_active:
        systemd.stop(layout.HUB_UNIT)
    os.replace(restored, layout.HUB_DATABASE)
    for leftover in ("-wal", "-shm", "-journal"):
        Path(f"{layout.HUB_DATABASE}{leftover}").unlink(missing_ok=True)
    # The archive may come from an older JupyterHub than this server runs.
    upgrade_database()
    if hub_was_active:
        systemd.start(layout.HUB_UNIT)
    print(f"restored the hub database to {layout.HUB_DATABASE}")


def restore(archive: Path, force_merge: bool) -> None:
    accounts, has_shared, has_database, has_grading = scan(archive)
    if not force_merge:
        refuse_unless_empty(accounts, has_shared, has_grading)
    try:
        students = {account: ensure_account(account, layout.HOMES) for account in accounts}
        if has_grading:
            layout.GRADING.mkdir(mode=0o755, exist_ok=True)
        grader = ensure_grader(layout.GRADING) if has_grading else None
    except (AccountError, GradingError) as err:
        raise Refused(str(err)) from None
    layout.HUB_STATE.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layout.HUB_STATE) as staging:
        database = Path(staging) / "restored.sqlite"
        skipped = extract(archive, students, database, has_shared, grader)
        print(f"restored the homes of {len(accounts)} students into {layout.HOMES}")
        if has_shared:
            print(f"restored the shared data into {layout.SHARED_DATA}")
        if grader:
            print(f"restored the grading files (nbgrader's exchange and gradebook) into {layout.GRADING}")
        for name in skipped:
            print(f"skipped, something is already there: {name}")
        if has_database:
            replace_database(database)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="classroom-restore", description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="a classroom-<time>.tar.gz made by classroom-archive")
    parser.add_argument("--force-merge", action="store_true",
                        help="also restore into homes that hold files, adding only what they lack")
    args = parser.parse_args(argv)
    try:
        restore(args.archive, args.force_merge)
    except (Refused, tarfile.TarError, OSError, ValueError, RuntimeError) as err:
        print(f"classroom-restore: {err}", file=sys.stderr)
        return 2
    return 0

"""Splits a Droplet class's archive into one tar per student, for their volume on the cluster.

The archive is classroom-archive's (cloud-init/python/classroom_ops/archive.py), read here with
the Droplet's own restore checks (classroom_ops.restore: its format, that every entry is in a
student's home, that hard links stay in their home). Each student's tar holds their home's
entries relative to the home, owned by the chart's single-user uid and gid (1000:100, the
docker-stacks user jovyan), so extracting it as that user in their volume (platforms/kubernetes/
restoreHomes.ts) gives them their files. Devices and fifos, never a student's work, are left out.

The claim a student's volume has is KubeSpawner's: claim-{user_server}, the hub name as
KubeSpawner 7's safe slug (kubespawner/slugs.py, 7.0.0), so the volume made here before the
student's first login is the one their server mounts.

Usage (from the repository, with PYTHONPATH=cloud-init/python):
    python3 platforms/kubernetes/split_archive.py ARCHIVE OUT_DIR
prints one JSON object: the students (hub name, account, claim, tar path) and the homes it could
not name (a hashed account whose hub name is not in the archive's hub database).
"""

import hashlib
import json
import re
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from pathlib import Path

from classroom_hub.usernames import is_valid_hub_name, system_account
from classroom_ops.restore import DATABASE_MEMBER, Refused, home_parts, scan

STUDENT_UID, STUDENT_GID = 1000, 100
STUDENT_USER, STUDENT_GROUP = "jovyan", "users"
ACCOUNT_PREFIX = "jupyter-"
# A hashed account name (classroom_hub.usernames.system_account) always has exactly 32 characters.
HASHED_ACCOUNT_LENGTH = 32
# KubeSpawner 7.0.0, spawner.py _expand_user_properties and slugs.py: the safe scheme's limits.
_SLUG_MAX = 48
_HASH_CHARS = 8


def _safe_name(name: str, max_length: int) -> str:
    """slugs._extract_safe_name: lower case, runs of other characters as one -, starting with a letter."""
    stripped = re.sub(r"[^a-z0-9]+", "-", name.lower()).lstrip("-")[:max_length].rstrip("-")
    if stripped and not ("a" <= stripped[0] <= "z"):
        stripped = "x-" + stripped[: max_length - 2]
    return stripped or "x"


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:_HASH_CHARS]


def safe_slug(name: str) -> str:
    """slugs.safe_slug(name, max_length=48): the name if it is a valid object name, else stripped and hashed."""
    valid = (re.fullmatch(r"[a-z][a-z0-9-]*", name) is not None and name[-1].isalnum()
             and len(name) <= _SLUG_MAX and "--" not in name)
    return name if valid else f"{_safe_name(name, _SLUG_MAX - _HASH_CHARS - 3)}---{_hash(name.encode())}"


def user_server(hub_name: str) -> str:
    """{user_server} of a default (unnamed) server: the safe slug, or, when the slug and the empty
    server name's "--" exceed 48 characters, slugs.multi_slug([name, ""], 48)."""
    slug = safe_slug(hub_name)
    if len(slug) + 2 <= _SLUG_MAX:
        return slug
    part = (_SLUG_MAX - _HASH_CHARS - 1) // 2 - 2
    # multi_slug hashes the names joined by the byte 0xFF, which UTF-8 never holds.
    joined = hub_name.encode() + bytes([0xFF])
    return f"{_safe_name(hub_name, part)}--{_safe_name('', part)}---{_hash(joined)}"


def claim_name(hub_name: str) -> str:
    """KubeSpawner's default pvc_name_template, claim-{user_server}, for a student's default server."""
    return f"claim-{user_server(hub_name)}"


def hub_names(accounts: list[str], database: Path | None) -> dict[str, str]:
    """Account → hub name: a plain account is jupyter-<name>; a hashed one is found among the hub
    database's users, each turned into its account as the Droplet turned it."""
    names = {a: a.removeprefix(ACCOUNT_PREFIX) for a in accounts if len(a) < HASHED_ACCOUNT_LENGTH}
    if database is not None:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            for (name,) in db.execute("SELECT name FROM users"):
                if is_valid_hub_name(name) and system_account(name) in accounts:
                    names[system_account(name)] = name
    return names


def student_entry(member: tarfile.TarInfo, parts: list[str]) -> tarfile.TarInfo:
    """The member as an entry of the student's own tar: relative to the home, the student's."""
    entry = tarfile.TarInfo("/".join(parts[1:]))
    entry.type, entry.mode, entry.mtime, entry.size = member.type, member.mode & 0o7777, member.mtime, member.size
    entry.uid, entry.gid, entry.uname, entry.gname = STUDENT_UID, STUDENT_GID, STUDENT_USER, STUDENT_GROUP
    if member.issym():
        entry.linkname = member.linkname
    elif member.islnk():
        entry.linkname = "/".join(home_parts(member.linkname)[1:])
    return entry


def split(archive: Path, out: Path) -> dict:
    # The shared data folder (shared/…) is the Droplet's alone: kubernetes has no sharedData.
    accounts, _has_shared, _has_database, _has_grading = scan(archive)
    out.mkdir(parents=True, exist_ok=True)
    tars: dict[str, tarfile.TarFile] = {}
    with tempfile.TemporaryDirectory() as scratch:
        database = None
        try:
            with tarfile.open(archive, "r|gz") as source:
                for member in source:
                    if member.name == DATABASE_MEMBER:
                        database = Path(scratch) / "jupyterhub.sqlite"
                        with database.open("wb") as copy:
                            shutil.copyfileobj(source.extractfile(member), copy, 1 << 20)
                        continue
                    if not member.name.startswith("home/"):
                        continue
                    parts = home_parts(member.name)
                    if len(parts) == 1 or not (member.isdir() or member.isfile() or member.issym() or member.islnk()):
                        continue
                    target = tars.get(parts[0]) or tars.setdefault(parts[0], tarfile.open(out / f"{parts[0]}.tar", "w", format=tarfile.PAX_FORMAT))
                    target.addfile(student_entry(member, parts), source.extractfile(member) if member.isfile() else None)
        finally:
            for tar in tars.values():
                tar.close()
        names = hub_names(accounts, database)
    students, unnamed = [], []
    for account in accounts:
        written = out / f"{account}.tar"
        if account not in names:
            unnamed.append(account)
            written.unlink(missing_ok=True)
            continue
        claim = claim_name(names[account])
        tar = out / f"{claim}.tar"
        if written.exists():
            written.rename(tar)
        else:  # an empty home: nothing to copy, the claim is made all the same
            tarfile.open(tar, "w").close()
        students.append({"hubName": names[account], "account": account, "claim": claim, "tar": str(tar)})
    return {"students": students, "unnamed": unnamed}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: split_archive.py ARCHIVE OUT_DIR", file=sys.stderr)
        return 2
    try:
        print(json.dumps(split(Path(argv[0]), Path(argv[1]))))
    except (Refused, tarfile.TarError, OSError, ValueError, sqlite3.Error) as err:
        print(f"split_archive: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

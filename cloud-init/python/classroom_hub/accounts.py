"""Creates a student's Linux account and home on first spawn.

Homes live on the class volume, which outlives the Droplet. On a new Droplet the accounts are
created again, and each takes the uid that owns its existing home, so every file keeps its owner;
a new student never gets a uid that owns someone's home.
"""

import grp
import os
import pwd
import subprocess
from pathlib import Path

STUDENT_GROUP = "jupyterhub-students"
# 59999, the last uid students.nft confines, is the grader's (grading.py GRADER_UID).
STUDENT_UIDS = range(20000, 59999)


class AccountError(RuntimeError):
    pass


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        raise AccountError(f"{command[0]} failed: {e.stderr.strip()}") from None


def _student_gid() -> int:
    try:
        return grp.getgrnam(STUDENT_GROUP).gr_gid
    except KeyError:
        _run(["groupadd", "--", STUDENT_GROUP])
        return grp.getgrnam(STUDENT_GROUP).gr_gid


def _home_owners(homes: Path) -> set[int]:
    return {entry.stat(follow_symlinks=False).st_uid for entry in os.scandir(homes)}


def _uid_for(account: str, home: Path, homes: Path) -> int:
    if not os.path.lexists(home):
        taken = {p.pw_uid for p in pwd.getpwall()} | _home_owners(homes)
        uid = next((uid for uid in STUDENT_UIDS if uid not in taken), None)
        if uid is None:
            raise AccountError(f"every student uid is taken; {account} cannot get an account")
        return uid
    st = home.lstat()
    if not home.is_dir() or home.is_symlink():
        raise AccountError(f"{home} exists and is not a directory; move it away to let {account} log in")
    if st.st_uid not in STUDENT_UIDS:
        raise AccountError(f"{home} is owned by uid {st.st_uid}, outside the students' range "
                           f"{STUDENT_UIDS.start}-{STUDENT_UIDS.stop - 1}; chown it to let {account} log in")
    try:
        other = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        return st.st_uid
    raise AccountError(f"{home} is owned by uid {st.st_uid}, which is already the account {other}")


def ensure_account(account: str, homes: Path) -> pwd.struct_passwd:
    """Returns the student's passwd entry, creating the account and an empty 0700 home if needed.

    Not safe to run twice at once for the same machine: callers serialize it (useradd also
    refuses to run while another holds the passwd lock).
    """
    if not homes.is_dir():
        # Creating it here would put students' work on the Droplet's disk instead of the volume.
        raise AccountError(f"the students' home directory {homes} is missing; is the class volume mounted?")
    home = homes / account
    try:
        entry = pwd.getpwnam(account)
    except KeyError:
        gid = _student_gid()
        uid = _uid_for(account, home, homes)
        _run(["useradd", "--uid", str(uid), "--gid", str(gid), "--no-user-group", "--home-dir", str(home),
              "--no-create-home", "--shell", "/bin/bash",
              # Students never need subordinate ids (they run no user namespaces).
              "--key", "SUB_UID_COUNT=0", "--key", "SUB_GID_COUNT=0", "--", account])
        entry = pwd.getpwnam(account)
    if not os.path.lexists(entry.pw_dir):
        os.mkdir(entry.pw_dir, 0o700)
        os.chown(entry.pw_dir, entry.pw_uid, entry.pw_gid)
        os.chmod(entry.pw_dir, 0o700)
    return entry

"""The class's shared data (class.json sharedData): one folder on the students' volume that course
staff write and students only read, linked into every home.

What keeps students from writing it, twice over: the folder belongs to root and the course staff's
group, setgid, mode 2775 (students are "others": read and enter only); and inside a student's
sandbox (sandbox.py) the whole file system is read-only but their home, while a staff member's
unit also gets the folder writable and the staff group (SupplementaryGroups). The link in the
home is only a way there: a student may delete it (the next start puts it back) or put their own
folder of that name in its place (it is then left alone, as all student work is).
"""

import grp
import os
import pwd
import subprocess
from pathlib import Path

# On the volume beside the homes, so it outlives every Droplet and travels in the archive
# (classroom_ops.layout.SHARED_DATA, for the archive and the restore, is this path).
SHARED_DATA = Path("/srv/classroom/shared")
STAFF_GROUP = "jupyterhub-course-staff"
# setgid: what staff create there belongs to the staff group, so other staff may replace it.
OPEN_MODE = 0o2775
# sharedData turned off: the files stay (nothing is ever deleted), students lose the way in.
CLOSED_MODE = 0o2770


def shared_data_root() -> Path:
    """Where the folder is; CLASSROOM_SHARED_DATA points elsewhere, for tests."""
    return Path(os.environ.get("CLASSROOM_SHARED_DATA", SHARED_DATA))


def staff_gid() -> int:
    """The course staff's group, created the first time it is needed."""
    try:
        return grp.getgrnam(STAFF_GROUP).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", "--", STAFF_GROUP], check=True, capture_output=True)
        return grp.getgrnam(STAFF_GROUP).gr_gid


def prepare_folder(shared: dict | None, root: Path) -> str:
    """classroom-apply: the folder open to students when sharedData is set, closed when it is not;
    returns what it did. Never removes or empties it."""
    if shared is None and not root.exists():
        return "none"
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise OSError(f"{root} is not a directory; move it away to share data")
    if not root.parent.is_dir():
        # Creating it here would put the data on the Droplet's disk instead of the volume.
        raise OSError(f"{root.parent} is missing; is the students' volume mounted?")
    gid = staff_gid()
    root.mkdir(mode=0o700, exist_ok=True)
    os.chown(root, 0, gid)
    mode = OPEN_MODE if shared else CLOSED_MODE
    os.chmod(root, mode)
    return f"{root} open to students as ~/{shared['directory']}" if shared else f"{root} closed to students (sharedData is off; its files stay)"


def link_into_home(account: pwd.struct_passwd, shared: dict | None, root: Path) -> str:
    """The pre-spawn hook: ~/<directory> → the folder when sharedData is set; a link of ours
    removed when it is not. Anything else of that name is the student's and stays."""
    home = Path(account.pw_dir)
    fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        if shared is None:
            return _remove_our_links(fd, root)
        name = shared["directory"]
        try:
            target = os.readlink(name, dir_fd=fd)
        except FileNotFoundError:
            os.symlink(root, name, dir_fd=fd)
            os.chown(name, account.pw_uid, account.pw_gid, dir_fd=fd, follow_symlinks=False)
            return f"linked ~/{name}"
        except OSError:
            return f"~/{name} is the student's own; not linked"
        return "linked already" if target == str(root) else f"~/{name} is the student's own link; not changed"
    finally:
        os.close(fd)


def _remove_our_links(fd: int, root: Path) -> str:
    removed = []
    for entry in os.scandir(fd):
        if entry.is_symlink() and os.readlink(entry.name, dir_fd=fd) == str(root):
            os.unlink(entry.name, dir_fd=fd)
            removed.append(entry.name)
    return f"removed ~/{', ~/'.join(removed)}" if removed else "nothing linked"


def unit_properties(root: Path, staff: bool) -> dict[str, str]:
    """What a server's sandbox adds for the folder: writable, with the staff group, for staff;
    nothing for students, whose sandbox leaves it read-only like everything outside their home."""
    # "-": a folder that is missing (classroom-apply has not made it yet) must not stop the server.
    return {"ReadWritePaths": f"-{root}", "SupplementaryGroups": STAFF_GROUP} if staff else {}

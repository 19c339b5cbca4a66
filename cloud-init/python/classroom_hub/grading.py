"""Assignments with nbgrader (class.json `grading`): the grader account, nbgrader's exchange and the
course directory on the students' volume, and nbgrader's global config. classroom-apply calls
prepare_grading() before it (re)starts the hub; the hub's configuration reads the paths from here.

On the volume, so the term's work outlives the Droplet and is in every archive:

    /srv/classroom/grading/                          root 0755
      exchange/                                      root 1777   nbgrader's exchange root
        <course>/                                    grader 0755
          outbound/                                  grader 0755  released assignments: all may read
          inbound/                                   grader 2733  submissions: students add, never list
          feedback/                                  grader 0711  feedback, named by a secret of its submission
      jupyterhub-grader/                             grader 0700  the grader's home, the formgrader's root
        <course>/                                    the course directory: gradebook.db, source/, release/,
                                                     submitted/, autograded/, feedback/

The modes are the ones nbgrader's own `release_assignment` gives its directories (and checks: it
wants the course's directories to be the grader's own). Its exchange root must be writable by
every user (docs: "readable and writable by all users"; every exchange command checks it); the
sticky bit adds that nobody removes or renames what another made there. Made here, before the
first release, so no student can claim the course's name in the exchange first.
"""

import json
import os
import pwd
import subprocess
from collections.abc import Callable
from pathlib import Path

GRADING = Path("/srv/classroom/grading")
GRADER = "jupyterhub-grader"
# The last uid of the students' range: new students never get it (accounts.STUDENT_UIDS ends before
# it), yet students.nft's rules hold for it, as autograding runs students' code as the grader. Fixed,
# so the grader's files on the volume keep their owner on a replacement Droplet.
GRADER_UID = 59999
# Jupyter's system-wide configuration directory (the last of jupyter_config_path()). nbgrader reads
# its global config, nbgrader_config.json, there: the students' servers, the formgrader and every
# nbgrader command on the server. labconfig/page_config.json says which of nbgrader's JupyterLab
# plugins the students' servers show (the formgrader's own configuration, jupyter/grader/, turns
# the staff's on for it).
JUPYTER_ETC = Path("/etc/jupyter")
NBGRADER_CONFIG = "nbgrader_config.json"
LAB_PAGE_CONFIG = "labconfig/page_config.json"
NBGRADER_LAB = "@jupyter/nbgrader"
STAFF_ONLY_PLUGINS = ("formgrader", "course-list", "create-assignment")

# The formgrader: a hub-managed service (services.py), on loopback. Students may not bind its port
# (sandbox.py), so none can stand in for it while the hub restarts it.
SERVICE = "formgrader"
FORMGRADER_PORT = 8097

# (path below the exchange's course directory, mode), as nbgrader's release_assignment makes them.
EXCHANGE_COURSE_DIRECTORIES = (("", 0o755), ("outbound", 0o755), ("inbound", 0o2733), ("feedback", 0o711))


class GradingError(RuntimeError):
    pass


def exchange_root(root: Path = GRADING) -> Path:
    return root / "exchange"


def grader_home(root: Path = GRADING) -> Path:
    return root / GRADER


def course_directory(course_id: str, root: Path = GRADING) -> Path:
    return grader_home(root) / course_id


def ensure_grader(root: Path) -> pwd.struct_passwd:
    """The grader account (its own group, uid GRADER_UID) and its 0700 home, once."""
    try:
        entry = pwd.getpwnam(GRADER)
    except KeyError:
        _useradd(root)
        entry = pwd.getpwnam(GRADER)
    if entry.pw_uid != GRADER_UID:
        raise GradingError(f"the account {GRADER} has uid {entry.pw_uid}, not {GRADER_UID}; userdel it to let "
                           "classroom-apply make it again")
    _directory(grader_home(root), 0o700, entry.pw_uid, entry.pw_gid)
    return entry


def _useradd(root: Path) -> None:
    try:
        other = pwd.getpwuid(GRADER_UID).pw_name
    except KeyError:
        other = None
    if other is not None:
        raise GradingError(f"uid {GRADER_UID} already belongs to {other}; the grader account {GRADER} needs it")
    try:
        subprocess.run(["useradd", "--uid", str(GRADER_UID), "--user-group", "--home-dir", str(grader_home(root)),
                        "--no-create-home", "--shell", "/bin/bash", "--comment", "nbgrader formgrader",
                        # Like the students: no subordinate ids (no user namespaces).
                        "--key", "SUB_UID_COUNT=0", "--key", "SUB_GID_COUNT=0", "--", GRADER],
                       check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as e:
        raise GradingError(f"useradd {GRADER} failed: {e.stderr.strip()}") from None


def _directory(path: Path, mode: int, uid: int, gid: int) -> None:
    """path as a real directory (never through a symlink) with this owner and mode. One someone
    else made first (a student, in the exchange root everybody may write) is refused, never adopted."""
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as e:
        raise GradingError(f"{path} is not a directory ({e.strerror}): move it away, then deliver the settings again") from None
    try:
        owner = os.fstat(fd).st_uid
        if owner not in (uid, 0):
            raise GradingError(f"{path} belongs to uid {owner}, not to {uid}: someone else made it first. Move it "
                               "away, then deliver the settings again")
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)  # after chown, which clears the set-group-id bit
    finally:
        os.close(fd)


def ensure_exchange(course_id: str, grader: pwd.struct_passwd, root: Path) -> Path:
    """The exchange and the course's directories in it, with nbgrader's modes; returns the exchange root."""
    exchange = exchange_root(root)
    _directory(exchange, 0o1777, 0, 0)
    for name, mode in EXCHANGE_COURSE_DIRECTORIES:
        _directory(exchange / course_id / name, mode, grader.pw_uid, grader.pw_gid)
    return exchange


def unit_properties(exchange: Path) -> dict[str, str]:
    """What a student's server sandbox adds with grading: nbgrader's exchange writable (its modes say
    what students may do there; "-": a missing one never stops a server), and the formgrader's port
    closed to them."""
    return {"ReadWritePaths": f"-{exchange}", "SocketBindDeny": f"tcp:{FORMGRADER_PORT}"}


def nbgrader_config(course_id: str, root: Path = GRADING) -> dict:
    return {"CourseDirectory": {"course_id": course_id}, "Exchange": {"root": str(exchange_root(root))}}


def lab_page_config(grading: bool) -> dict:
    """Students see the Assignments list and validation when the class grades, no nbgrader otherwise."""
    disabled = {f"{NBGRADER_LAB}:{plugin}": True for plugin in STAFF_ONLY_PLUGINS} if grading else {NBGRADER_LAB: True}
    return {"disabledExtensions": disabled}


def prepare_grading(settings: dict, write: Callable[[Path, str, int], bool], root: Path = GRADING,
                    jupyter_etc: Path = JUPYTER_ETC) -> list[str]:
    """Puts class.json's grading in place; returns what it did. Turning grading off removes only
    nbgrader's global config: the exchange, the submissions and the gradebook stay on the volume.
    `write(path, content, mode)` writes a file atomically (apply.write_atomically)."""
    grading = settings["grading"]
    config, done = jupyter_etc / NBGRADER_CONFIG, []
    write(jupyter_etc / LAB_PAGE_CONFIG, json.dumps(lab_page_config(grading is not None), indent=2) + "\n", 0o644)
    if grading is None:
        try:
            config.unlink()
            done.append(f"grading off: removed {config} (the exchange and gradebook stay in {root})")
        except FileNotFoundError:
            pass
        return done
    if not root.parent.is_dir():
        raise GradingError(f"{root.parent} is missing; is the students' volume mounted?")
    _directory(root, 0o755, 0, 0)
    grader = ensure_grader(root)
    course_id = grading["courseId"]
    exchange = ensure_exchange(course_id, grader, root)
    course = course_directory(course_id, root)
    if not course.exists():
        _directory(course, 0o755, grader.pw_uid, grader.pw_gid)
    write(config, json.dumps(nbgrader_config(course_id, root), indent=2) + "\n", 0o644)
    done.append(f"grading: nbgrader course {course_id}, exchange {exchange}, course directory {course}")
    return done

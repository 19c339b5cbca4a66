"""A student's copy of the course repository, brought up to date before their server starts.

The copy is brought up to date by student_copy.py running as the student (git never runs as
root in a student's home), from the server's mirror (course_mirror.py). The pre-spawn hook
(spawn_hook.py) runs it after making the student's account; whatever goes wrong with the course
(unreachable repository, broken copy, time out), the student still gets their server and the
hub's log says why.
"""

import sys
from pathlib import Path

from .course_mirror import CourseMirror
from .processes import CommandError, run

STUDENT_COPY = Path(__file__).with_name("student_copy.py")


def make_course_update(course: dict, token: str | None, *, mirror: Path, python: str = sys.executable,
                       fetch_interval: float = 60, fetch_timeout: float = 20):
    """Returns update_copy(account, log), which brings the student's copy up to date. course is
    class.json's course, token secrets.json's courseRepoToken. python runs student_copy.py as the
    student, so students must be able to execute it (the hub venv's python is)."""
    course_mirror = CourseMirror(mirror, course["repositoryUrl"], course["branch"], token,
                                 min_interval=fetch_interval, fetch_timeout=fetch_timeout)

    async def update_copy(account, log) -> str:
        try:
            await course_mirror.refresh()
        except CommandError as e:
            log.warning("Could not fetch the course repository (students get the copy fetched last): %s", e)
        if not await course_mirror.has_branch():
            raise CommandError(f"the server has no copy of branch {course['branch']} yet")
        return await run(
            [python, "-I", str(STUDENT_COPY), course_mirror.url, course["branch"], course["directory"]],
            user=account.pw_uid, group=account.pw_gid, extra_groups=[], cwd=account.pw_dir, umask=0o022,
            env={
                "HOME": account.pw_dir, "USER": account.pw_name, "LOGNAME": account.pw_name,
                "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                "GIT_CONFIG_GLOBAL": str(course_mirror.student_gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_TERMINAL_PROMPT": "0",
            })

    return update_copy

"""The pre-spawn hook: the student's account, then their copy of the course repository.

The copy is brought up to date by student_copy.py running as the student (git never runs as
root in a student's home), from the server's mirror (course_mirror.py). Whatever goes wrong with
the course (unreachable repository, broken copy, time out), the student still gets their server
and the hub's log says why.
"""

import asyncio
import sys
from pathlib import Path

from .accounts import ensure_account
from .course_mirror import CourseMirror
from .processes import CommandError, run
from .usernames import system_account

STUDENT_COPY = Path(__file__).with_name("student_copy.py")


def make_pre_spawn_hook(course: dict | None, token: str | None, *, homes: Path, mirror: Path,
                        python: str = sys.executable, timeout: float = 45,
                        fetch_interval: float = 60, fetch_timeout: float = 20):
    """course is class.json's course (None: no course repository), token secrets.json's
    courseRepoToken. python runs student_copy.py as the student, so students must be able to
    execute it (the hub venv's python is)."""
    course_mirror = CourseMirror(mirror, course["repositoryUrl"], course["branch"], token,
                                 min_interval=fetch_interval, fetch_timeout=fetch_timeout) if course else None
    # useradd takes the passwd lock and fails rather than waits while another holds it.
    accounts_lock = asyncio.Lock()

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

    async def pre_spawn_hook(spawner):
        name = system_account(spawner.user.name)
        async with accounts_lock:
            account = await asyncio.to_thread(ensure_account, name, homes)
        if course_mirror is None:
            return
        try:
            summary = await asyncio.wait_for(update_copy(account, spawner.log), timeout)
            spawner.log.info("Course copy of %s updated: %s", name, summary.strip())
        except TimeoutError:
            spawner.log.warning("Course copy of %s not updated: took more than %s s", name, timeout)
        except Exception as e:
            spawner.log.warning("Course copy of %s not updated: %s", name, e)

    return pre_spawn_hook

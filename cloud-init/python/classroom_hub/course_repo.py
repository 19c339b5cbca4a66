"""A student's copy of the course repository, brought up to date before their server starts.

The copy is brought up to date by student_copy.py running as the student (git never runs as
root in a student's home), from the server's mirror (course_mirror.py), in a transient systemd
unit of its own: the student's sandbox and limits, not the hub's cgroup, and when it ends (or
runs out of time) systemd kills whatever it started. The pre-spawn hook (spawn_hook.py) runs it
after making the student's account; whatever goes wrong with the course
(unreachable repository, broken copy, time out), the student still gets their server and the
hub's log says why.
"""

import math
import sys
import time
from pathlib import Path

from .course_mirror import CourseMirror
from .processes import CommandError, run
from .sandbox import student_unit_properties

STUDENT_COPY = Path(__file__).with_name("student_copy.py")


def make_course_update(course: dict, token: str | None, *, mirror: Path, python: str = sys.executable,
                       fetch_interval: float = 60, fetch_timeout: float = 20, systemd_run: str = "systemd-run"):
    """Returns update_copy(account, spawner, deadline), which brings the student's copy up to date
    before the monotonic deadline. course is class.json's course, token secrets.json's
    courseRepoToken. python runs student_copy.py as the student, so students must be able to
    execute it (the hub venv's python is)."""
    course_mirror = CourseMirror(mirror, course["repositoryUrl"], course["branch"], token,
                                 min_interval=fetch_interval, fetch_timeout=fetch_timeout)

    async def update_copy(account, spawner, deadline: float) -> str:
        try:
            await course_mirror.refresh()
        except CommandError as e:
            spawner.log.warning("Could not fetch the course repository (students get the copy fetched last): %s", e)
        if not await course_mirror.has_branch():
            raise CommandError(f"the server has no copy of branch {course['branch']} yet")
        environment = {
            "HOME": account.pw_dir, "USER": account.pw_name, "LOGNAME": account.pw_name,
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            "GIT_CONFIG_GLOBAL": str(course_mirror.student_gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
        return await run([
            systemd_run, "--quiet", "--wait", "--pipe", "--collect", "--service-type=exec",
            f"--unit={account.pw_name}-course-copy", f"--uid={account.pw_uid}", f"--gid={account.pw_gid}",
            f"--working-directory={account.pw_dir}",
            *(f"--property={name}={value}" for name, value in copy_unit_properties(account.pw_dir, spawner, deadline).items()),
            *(f"--setenv={name}={value}" for name, value in environment.items()),
            "--", python, "-I", str(STUDENT_COPY), course_mirror.url, course["branch"], course["directory"],
        ])

    def copy_unit_properties(home: str, spawner, deadline: float) -> dict[str, str]:
        """The student's sandbox and limits; systemd ends the unit, and all it started, when the
        hook's time is up (the hook then stops waiting), even if the hub is gone."""
        remaining = math.ceil(max(1.0, deadline - time.monotonic()))
        properties = {**student_unit_properties(home), "UMask": "0022", "RuntimeMaxSec": str(remaining)}
        if spawner.mem_limit:
            properties["MemoryMax"] = str(spawner.mem_limit)
        if spawner.cpu_limit:
            properties["CPUQuota"] = f"{int(spawner.cpu_limit * 100)}%"
        return properties

    return update_copy

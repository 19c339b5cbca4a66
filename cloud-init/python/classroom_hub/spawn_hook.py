"""The pre-spawn hook: the student's Linux account (accounts.py), then their copy of the course
(course_repo.py). The account comes first and must succeed; the course copy may fail, and the
student still gets their server, with the reason in the hub's log."""

import asyncio
import sys
import time
from pathlib import Path

from .accounts import ensure_account
from .course_repo import make_course_update
from .quotas import limit_command
from .shared_data import link_into_home
from .usernames import system_account


def make_pre_spawn_hook(course: dict | None, token: str | None, *, homes: Path, mirror: Path,
                        shared: dict | None = None, shared_root: Path | None = None,
                        quota_gb: int | None = None, staff_accounts: frozenset[str] = frozenset(),
                        volume: Path | None = None,
                        python: str = sys.executable, timeout: float = 45,
                        fetch_interval: float = 60, fetch_timeout: float = 20, systemd_run: str = "systemd-run"):
    """course is class.json's course (None: no course repository), token secrets.json's
    courseRepoToken; homes the students' homes on the class volume; shared class.json's sharedData
    and shared_root its folder (None: no link is made or removed); quota_gb class.json's diskQuotaGb,
    set on the file system at `volume` for a student (never for staff_accounts) at each start, so an
    account made at this login has it too."""
    update_copy = make_course_update(course, token, mirror=mirror, python=python, fetch_interval=fetch_interval,
                                     fetch_timeout=fetch_timeout, systemd_run=systemd_run) if course else None
    # useradd takes the passwd lock and fails rather than waits while another holds it.
    accounts_lock = asyncio.Lock()

    async def pre_spawn_hook(spawner):
        name = system_account(spawner.user.name)
        async with accounts_lock:
            account = await asyncio.to_thread(ensure_account, name, homes)
        if shared_root is not None:
            try:
                spawner.log.info("Shared data for %s: %s", name, await asyncio.to_thread(link_into_home, account, shared, shared_root))
            except OSError as e:
                spawner.log.warning("Shared data for %s not linked: %s", name, e)
        if quota_gb and volume is not None:
            await set_quota(spawner, name, None if name in staff_accounts else quota_gb, volume)
        if update_copy is None:
            return
        try:
            summary = await asyncio.wait_for(update_copy(account, spawner, time.monotonic() + timeout), timeout)
            spawner.log.info("Course copy of %s updated: %s", name, summary.strip())
        except TimeoutError:
            spawner.log.warning("Course copy of %s not updated: took more than %s s", name, timeout)
        except Exception as e:
            spawner.log.warning("Course copy of %s not updated: %s", name, e)

    async def set_quota(spawner, name: str, gb: int | None, volume: Path) -> None:
        # setquota needs CAP_SYS_ADMIN, which the hub's unit does not have: a unit of its own, as root.
        done = await asyncio.create_subprocess_exec(
            systemd_run, "--quiet", "--wait", "--collect", "--", *limit_command(name, gb, volume),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await done.communicate()
        if done.returncode != 0:
            spawner.log.warning("Disk quota of %s not set: %s", name, output.decode(errors="replace").strip())

    return pre_spawn_hook

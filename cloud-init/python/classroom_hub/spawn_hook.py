"""The pre-spawn hook: the student's Linux account (accounts.py), then their copy of the course
(course_repo.py). The account comes first and must succeed; the course copy may fail, and the
student still gets their server, with the reason in the hub's log."""

import asyncio
import sys
import time
from pathlib import Path

from .accounts import ensure_account
from .course_repo import make_course_update
from .shared_data import link_into_home
from .usernames import system_account


def make_pre_spawn_hook(course: dict | None, token: str | None, *, homes: Path, mirror: Path,
                        shared: dict | None = None, shared_root: Path | None = None,
                        python: str = sys.executable, timeout: float = 45,
                        fetch_interval: float = 60, fetch_timeout: float = 20, systemd_run: str = "systemd-run"):
    """course is class.json's course (None: no course repository), token secrets.json's
    courseRepoToken; homes the students' homes on the class volume; shared class.json's sharedData
    and shared_root its folder (None: no link is made or removed)."""
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
        if update_copy is None:
            return
        try:
            summary = await asyncio.wait_for(update_copy(account, spawner, time.monotonic() + timeout), timeout)
            spawner.log.info("Course copy of %s updated: %s", name, summary.strip())
        except TimeoutError:
            spawner.log.warning("Course copy of %s not updated: took more than %s s", name, timeout)
        except Exception as e:
            spawner.log.warning("Course copy of %s not updated: %s", name, e)

    return pre_spawn_hook

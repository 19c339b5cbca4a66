"""The server's copy of the course repository, fetched as root so that a private repository's
token stays in root's memory.

The mirror is a bare repository with no remote and nothing secret in its config; students' copies
fetch from it as the students. A class logging in at once causes one network fetch: fetches run
one at a time, and at most one starts per interval.
"""

import asyncio
import base64
import math
import os
import time
from pathlib import Path

from .processes import CommandError, run


class CourseMirror:
    def __init__(self, path: Path, url: str, branch: str, token: str | None, *,
                 min_interval: float = 60, fetch_timeout: float = 20):
        self.path = path
        self._url = url
        self._branch = branch
        self._token = token
        self._min_interval = min_interval
        self._fetch_timeout = fetch_timeout
        self._lock = asyncio.Lock()
        self._last_attempt = -math.inf

    @property
    def url(self) -> str:
        """What students fetch from: a file:// URL, so git copies objects instead of hard-linking
        root's files into the students' homes."""
        return self.path.as_uri()

    @property
    def student_gitconfig(self) -> Path:
        """Git config for the students' side: it marks root's mirror as safe to read (git refuses
        repositories owned by another user unless told so in a global config)."""
        return self.path.with_suffix(".gitconfig")

    async def refresh(self) -> None:
        """Fetches the course branch unless a fetch started less than min_interval ago; failures
        count as attempts too, so an unreachable repository is not asked again by every student."""
        async with self._lock:
            if time.monotonic() - self._last_attempt < self._min_interval:
                return
            self._last_attempt = time.monotonic()
            await self._create()
            await self._git("fetch", "--quiet", "--no-tags", "--force", "--end-of-options", self._url,
                            f"+refs/heads/{self._branch}:refs/heads/{self._branch}", timeout=self._fetch_timeout)

    async def has_branch(self) -> bool:
        try:
            await self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{self._branch}^{{commit}}")
        except CommandError:
            return False
        return True

    async def _create(self) -> None:
        if not (self.path / "HEAD").exists():
            await run(["git", "init", "--quiet", "--bare", str(self.path)], env=self._environment(), umask=0o022)
        if not self.student_gitconfig.exists():
            await run(["git", "config", "--file", str(self.student_gitconfig), "safe.directory", str(self.path)],
                      env=self._environment(), umask=0o022)

    async def _git(self, *args: str, timeout: float | None = None) -> str:
        # umask 022: students read the objects root writes. No hook ever runs in the mirror.
        return await run(["git", "-c", "core.hooksPath=/dev/null", "-C", str(self.path), *args], timeout=timeout,
                         env=self._environment(), umask=0o022)

    def _environment(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            # ssh:// URLs use root's keys and known_hosts.
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            # No stray config (credential helpers, proxies) from root's or the system's git config.
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
        }
        if self._token:
            # In the environment, not the command line (world-readable in /proc) nor a file. Git sends
            # extra headers to every URL it is sent to, so redirects (to another host) are refused.
            basic = base64.b64encode(f"x-access-token:{self._token}".encode()).decode()
            env.update(GIT_CONFIG_COUNT="2",
                       GIT_CONFIG_KEY_0="http.extraHeader", GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}",
                       GIT_CONFIG_KEY_1="http.followRedirects", GIT_CONFIG_VALUE_1="false")
        return env

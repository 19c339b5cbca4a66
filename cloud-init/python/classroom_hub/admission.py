"""The hub's admission queue: at most `limit` students' servers start at the same moment; the rest
wait their turn, first come first served.

A whole class clicking "Start" in the same minute would otherwise start every server together: they
share the Droplet's cores, so all of them are slow and the last ones reach JupyterHub's timeouts.
Queued, the first students are ready in seconds and the total is the same. The wait happens before
Spawner.start (in the pre-spawn step, see spawner.py), so Spawner.start_timeout and http_timeout
only ever measure a start that has its slot, and the hub's own concurrent_spawn_limit (a 429 to the
student) is switched off in favour of this queue.

The queue lives in the hub process: a hub restart forgets it, and the students who were waiting
start again from an empty queue when their page asks again.
"""

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator

log = logging.getLogger("JupyterHub")


# A start holds its slot for longer than it uses the CPU: through the pre-spawn hook's file work and
# until the hub notices the server answering. With one start per core's worth of CPU quota, 60
# students left the cores idle half the time (docs/performance.md); twice as many keep them busy.
STARTS_PER_CPU_SHARE = 2


def default_limit(cpu_limit: float, cpus: int | None = None) -> int:
    """Two starts per core's worth of a student's CPU quota: a server limited to half a core takes
    at most half a core while it starts (cpuLimit 0.5 on 2 vCPUs: 8)."""
    cpus = cpus or os.cpu_count() or 1
    return max(1, math.floor(STARTS_PER_CPU_SHARE * cpus / min(cpu_limit, 1.0)))


class Admission:
    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError(f"the admission limit must be at least 1, got {limit}")
        self.limit = limit
        self._starting: set[str] = set()
        # Insertion order is arrival order.
        self._waiting: dict[str, asyncio.Future] = {}
        self._changed = asyncio.Event()

    @property
    def starting(self) -> frozenset[str]:
        return frozenset(self._starting)

    def ahead_of(self, name: str) -> int | None:
        """How many students wait before `name`; None once `name` is not waiting."""
        for position, waiting in enumerate(self._waiting):
            if waiting == name:
                return position
        return None

    async def enter(self, name: str) -> None:
        """Returns once `name` may start. Cancelled while waiting, it leaves the queue."""
        if name in self._starting or name in self._waiting:
            raise RuntimeError(f"{name} is already starting or waiting")
        if len(self._starting) < self.limit and not self._waiting:
            self._admit(name)
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting[name] = turn
        self._notify()
        log.info("Admission: %s waits, %d ahead (%d of %d starting)", name, len(self._waiting) - 1,
                 len(self._starting), self.limit)
        try:
            await turn
        except asyncio.CancelledError:
            if self._waiting.pop(name, None) is None:
                # Admitted in the same moment it was cancelled: the slot goes to the next student.
                self.leave(name)
            self._notify()
            raise

    def leave(self, name: str) -> None:
        """Frees `name`'s slot (its server is ready, or its start failed) and admits the next in line."""
        self._starting.discard(name)
        while self._waiting and len(self._starting) < self.limit:
            next_name, turn = next(iter(self._waiting.items()))
            del self._waiting[next_name]
            self._admit(next_name)
            turn.set_result(None)
        self._notify()

    async def places(self, name: str) -> AsyncIterator[int]:
        """Yields how many students wait before `name`, each time that changes, until it is admitted."""
        shown = None
        while (ahead := self.ahead_of(name)) is not None:
            if ahead != shown:
                shown = ahead
                yield ahead
            changed = self._changed
            await changed.wait()

    def _admit(self, name: str) -> None:
        self._starting.add(name)
        log.info("Admission: %s may start (%d of %d starting, %d waiting)", name, len(self._starting),
                 self.limit, len(self._waiting))

    def _notify(self) -> None:
        # Wakes every places() loop, and gives later ones a fresh event to wait on.
        self._changed.set()
        self._changed = asyncio.Event()

"""SystemdSpawner that runs each student as usernames.system_account(hub name), in the sandbox of
sandbox.py: a template string such as jupyter-{USERNAME} could not shorten long names, and the
one place a student may write is their own home. Every start waits its turn in the hub's
admission queue (admission.py) and shows the student their place in it."""

import asyncio
import contextlib
import pwd
from pathlib import Path

from jupyterhub.utils import maybe_future
from systemdspawner import SystemdSpawner
from traitlets import Integer, List, Unicode, default

from .admission import Admission
from .grading import unit_properties as grading_properties
from .sandbox import student_unit_properties
from .shared_data import unit_properties as shared_data_properties
from .usernames import system_account

# How often a started server's slot is checked for being done with (ready, or failed).
_SETTLED_POLL_SECONDS = 0.25


class ClassroomSpawner(SystemdSpawner):
    admission_limit = Integer(
        1, config=True, help="How many students' servers may be starting at the same moment; the rest queue.",
    )
    shared_data = Unicode(
        "", config=True, help="The shared data folder (sharedData); empty: none. Course staff may write it.",
    )
    course_staff = List(
        [], config=True, help="Hub names of the course staff (staff.course_staff): they write the shared data folder.",
    )
    exchange = Unicode(
        "", config=True, help="nbgrader's exchange, which students may write (grading); empty: none.",
    )
    # One queue for the whole hub, made with the configured limit by the first spawner that needs it.
    _admission: Admission | None = None

    @default("username_template")
    def _student_account(self):
        return system_account(self.user.name)

    async def start(self):
        # The pre-spawn hook has created the account, so its home is known now.
        home = pwd.getpwnam(self.username_template).pw_dir
        staff = bool(self.shared_data) and self.user.name in self.course_staff
        extra = shared_data_properties(Path(self.shared_data), staff) if self.shared_data else None
        grading = grading_properties(Path(self.exchange)) if self.exchange else None
        self.unit_extra_properties = student_unit_properties(home, extra, grading)
        return await super().start()

    @property
    def admission(self) -> Admission:
        cls = ClassroomSpawner
        if cls._admission is None:
            cls._admission = Admission(self.admission_limit)
        return cls._admission

    async def run_pre_spawn_hook(self):
        # Here and not in start(): start_timeout covers Spawner.start only, so the wait for a turn
        # never counts against it, and the account and course copy are part of the admitted work.
        admission = self.admission
        previous = getattr(self, "_settled", None)
        if previous is not None and not previous.done():
            # A start that failed a moment ago, its slot not yet seen free: free it now.
            previous.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await previous
        await admission.enter(self.user.name)
        try:
            await maybe_future(super().run_pre_spawn_hook())
        except BaseException:
            admission.leave(self.user.name)
            raise
        self._settled = asyncio.ensure_future(self._leave_when_settled(admission))

    async def _leave_when_settled(self, admission: Admission) -> None:
        """The slot is held until the hub calls the server ready or gives up on it: the server's own
        start, after Spawner.start returns, is the expensive part."""
        try:
            while self.pending == "spawn":
                await asyncio.sleep(_SETTLED_POLL_SECONDS)
        finally:
            admission.leave(self.user.name)

    async def progress(self):
        async for ahead in self.admission.places(self.user.name):
            message = "You are next to start" if ahead == 0 else \
                f"{ahead} student{'s' if ahead > 1 else ''} ahead of you"
            yield {"progress": 5, "message": f"Waiting for a turn to start: {message}"}
        async for event in super().progress():
            yield event

"""SystemdSpawner that runs each student as usernames.system_account(hub name), in the sandbox of
sandbox.py: a template string such as jupyter-{USERNAME} could not shorten long names, and the
one place a student may write is their own home."""

import pwd

from systemdspawner import SystemdSpawner
from traitlets import default

from .sandbox import student_unit_properties
from .usernames import system_account


class ClassroomSpawner(SystemdSpawner):
    @default("username_template")
    def _student_account(self):
        return system_account(self.user.name)

    async def start(self):
        # The pre-spawn hook has created the account, so its home is known now.
        home = pwd.getpwnam(self.username_template).pw_dir
        self.unit_extra_properties = student_unit_properties(home)
        return await super().start()

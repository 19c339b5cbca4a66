"""SystemdSpawner that runs each student as usernames.system_account(hub name): a template string
such as jupyter-{USERNAME} could not shorten long names."""

from systemdspawner import SystemdSpawner
from traitlets import default

from .usernames import system_account


class ClassroomSpawner(SystemdSpawner):
    @default("username_template")
    def _student_account(self):
        return system_account(self.user.name)

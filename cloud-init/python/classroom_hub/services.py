"""The hub's own services and the roles that hold exactly their rights: the idle culler, and the
class warmer (warmer.py) that starts the roster's servers before each class meeting."""

from .settings import settings_path
from .staff import roster_students

WARMER = "class-warmer"


def warmer_scopes(students: list[str]) -> list[str]:
    """Start servers and mark them active, for the roster's students only: never an admin's server,
    never a user outside the roster. JupyterHub's servers scope also allows stopping them (there is
    no start-only scope); the warmer never does, and the e2e test checks its requests in the journal."""
    return [f"{scope}!user={name}" for name in students for scope in ("servers", "users:activity")]


def hub_services(settings: dict, python: str) -> tuple[list[dict], list[dict]]:
    """JupyterHub.services and JupyterHub.load_roles for this class."""
    services, roles = [], []
    students = roster_students(settings["auth"])
    if students:
        # A managed service gets a clean environment: it is told where class.json is.
        services.append({"name": WARMER, "command": [python, "-m", "classroom_hub.warmer"],
                         "environment": {"CLASSROOM_SETTINGS": str(settings_path())}})
        roles.append({"name": WARMER, "scopes": warmer_scopes(students), "services": [WARMER]})
    idle_seconds = settings["limits"]["idleTimeoutSeconds"]
    if idle_seconds > 0:
        services.append({
            "name": "idle-culler",
            "command": [python, "-m", "jupyterhub_idle_culler", f"--timeout={idle_seconds}"],
        })
        roles.append({
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        })
    return services, roles

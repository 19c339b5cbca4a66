"""The hub's own services and the roles that hold exactly their rights: the idle culler, the
class warmer (warmer.py) that starts the roster's servers before each class meeting, and with
grading the formgrader (grading.py) that the course staff reach at /services/formgrader/."""

from pathlib import Path

from . import INSTALL_DIR
from .grading import FORMGRADER_PORT, GRADER, GRADING, SERVICE, course_directory, grader_home
from .settings import settings_path
from .staff import STAFF_GROUP, roster_students

WARMER = "class-warmer"


def warmer_scopes(students: list[str]) -> list[str]:
    """Start servers and mark them active, for the roster's students only: never an admin's server,
    never a user outside the roster. JupyterHub's servers scope also allows stopping them (there is
    no start-only scope); the warmer never does, and the e2e test checks its requests in the journal."""
    return [f"{scope}!user={name}" for name in students for scope in ("servers", "users:activity")]


def formgrader(course_id: str, user_venv: str, root: Path = GRADING) -> tuple[dict, dict]:
    """nbgrader's shared grader account (its JupyterHub docs, "One Class, Multiple Graders"): one
    JupyterLab as the grader, with the formgrader, its root the grader's home and the course
    directory its working directory (nbgrader's CourseDirectory.root). The course staff reach it
    through the role; instructors also as admins. jupyter/grader/ turns the staff's extensions on."""
    service = {
        "name": SERVICE,
        "url": f"http://127.0.0.1:{FORMGRADER_PORT}",
        "command": [f"{user_venv}/bin/python", "-s", f"{user_venv}/bin/jupyterhub-singleuser",
                    f"--ServerApp.root_dir={grader_home(root)}", "--ServerApp.default_url=/formgrader"],
        "user": GRADER,
        "cwd": str(course_directory(course_id, root)),
        "environment": {
            "JUPYTER_CONFIG_PATH": str(INSTALL_DIR / "jupyter" / "grader"),
            # Connection files and the server's own token file stay off the volume and out of archives,
            # in the hub unit's private /tmp.
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyterhub-grader-runtime",
            # nbgrader runs kernels and its own commands from the students' environment.
            "PATH": f"{user_venv}/bin:/usr/local/bin:/usr/bin:/bin",
        },
        "oauth_no_confirm": True,
    }
    role = {"name": "formgrader-access", "scopes": [f"access:services!service={SERVICE}"], "groups": [STAFF_GROUP]}
    return service, role


def hub_services(settings: dict, python: str, user_venv: str) -> tuple[list[dict], list[dict]]:
    """JupyterHub.services and JupyterHub.load_roles for this class."""
    services, roles = [], []
    if settings["grading"] is not None:
        service, role = formgrader(settings["grading"]["courseId"], user_venv)
        services.append(service)
        roles.append(role)
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

"""Where things live on the server: the table "Files on the server" of docs/architecture.md."""

from pathlib import Path

ETC = Path("/etc/jupyterhub-classroom")
CLASS_SETTINGS = ETC / "class.json"
SECRETS = ETC / "secrets.json"
HUB_CONFIG = ETC / "jupyterhub_config.py"

LIB = Path("/usr/local/lib/jupyterhub-classroom")
INSTALL_SCRIPT = LIB / "install.sh"
REQUIREMENTS = LIB / "requirements"

VENVS = Path("/opt/jupyterhub-classroom")
HUB_VENV = VENVS / "hub"

HUB_STATE = Path("/var/lib/jupyterhub")
HUB_DATABASE = HUB_STATE / "jupyterhub.sqlite"
HUB_DATABASE_BACKUPS = HUB_STATE / "backups"

HOMES = Path("/srv/classroom/home")
# Beside the homes: the shared data folder (classroom_hub/shared_data.py, whose SHARED_DATA it is).
SHARED_DATA = Path("/srv/classroom/shared")
# And the grading files: nbgrader's exchange, the grader's home with the course directory and
# gradebook (classroom_hub/grading.py, whose GRADING it is; named here for the first boot's commands).
GRADING = Path("/srv/classroom/grading")
ARCHIVES = Path("/var/backups/jupyterhub-classroom")
ACME_STORAGE = Path("/var/lib/traefik/acme.json")
TRAEFIK_CONFIG = Path("/etc/traefik/traefik.yaml")
CLOUD_INIT_LOG = Path("/var/log/cloud-init-output.log")

HUB_UNIT = "jupyterhub.service"
PROXY_UNIT = "traefik.service"

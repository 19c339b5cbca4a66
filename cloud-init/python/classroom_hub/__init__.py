"""Server-side code of jupyterhub-classroom: settings, accounts, the pre-spawn hook (spawn_hook.py), classroom-apply.

Installed at /usr/local/lib/jupyterhub-classroom/python and put on the hub venv's path by a .pth file.
"""

from pathlib import Path

# /usr/local/lib/jupyterhub-classroom on the server, cloud-init/ in the repository: same layout.
INSTALL_DIR = Path(__file__).resolve().parents[2]
TEMPLATES = INSTALL_DIR / "templates"
# The JSON Schemas of class.json and secrets.json, generated from lib/config (npm run project-config).
SCHEMAS = INSTALL_DIR / "schema"

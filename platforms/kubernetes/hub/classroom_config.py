# The class's part of the hub configuration on Kubernetes: static, carried by the Zero to
# JupyterHub chart as hub.extraConfig.classroom, which the chart's own jupyterhub_config.py runs
# last, with its `c` (the config object) in scope; its get_config is the chart's helper, not traitlets'. Like the Droplet's cloud-init/jupyterhub_config.py it reads the
# class from class.json (mounted from hub.extraFiles, path in CLASSROOM_SETTINGS) through the
# shared classroom_hub package (mounted beside it, on PYTHONPATH). The chart sets KubeSpawner,
# limits, storage, the culler and the proxy from the other values; this file sets login and the
# login page, the parts the two platforms share.
import os

from classroom_hub import TEMPLATES
from classroom_hub.authenticators import configure_login
from classroom_hub.settings import load_settings

settings = load_settings()
auth, login_page = settings["auth"], settings["loginPage"]

# --- Login: the same providers and user-name rules as on the Droplet (classroom_hub.authenticators) ---
# The client secret comes from the stack's Kubernetes Secret through the environment (hub.extraEnv), never from values.
configure_login(c, auth, os.environ["OAUTH_CLIENT_SECRET"])

# --- Login page: the Droplet's templates/login.html, mounted beside the package ---
c.JupyterHub.template_paths = [str(TEMPLATES)]
c.JupyterHub.template_vars = {"classroom": {
    "title": login_page["title"],
    "logo_url": login_page["logoUrl"],
    "primary_color": login_page["primaryColor"],
    "announcement": login_page["announcement"],
    "help_links": login_page["helpLinks"],
}}

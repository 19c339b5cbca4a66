# The class's part of the hub configuration on Kubernetes: static, carried by the Zero to
# JupyterHub chart as hub.extraConfig.classroom, which the chart's own jupyterhub_config.py runs
# last, with its `c` (the config object) in scope; its get_config is the chart's helper, not traitlets'. Like the Droplet's cloud-init/jupyterhub_config.py it reads the
# class from class.json (mounted from hub.extraFiles, path in CLASSROOM_SETTINGS) through the
# shared classroom_hub package (mounted beside it, on PYTHONPATH). The chart sets KubeSpawner,
# limits, storage, the culler and the proxy from the other values; this file sets login, the course
# staff's rights and the login and home pages, the parts the two platforms share.
import os

from classroom_hub.authenticators import configure_login
from classroom_hub.hub_rights import configure_rights
from classroom_hub.pages import configure_pages
from classroom_hub.settings import load_settings

settings = load_settings()

# --- Login: the same providers and user-name rules as on the Droplet (classroom_hub.authenticators) ---
# The client secret comes from the stack's Kubernetes Secret through the environment (hub.extraEnv), never from values.
configure_login(c, settings["auth"], os.environ["OAUTH_CLIENT_SECRET"])

# --- Course staff: groups and roles, after the chart's own roles (the culler's) ---
configure_rights(c, settings["auth"])

# --- Login and home pages: the Droplet's templates, mounted beside the package ---
configure_pages(c, settings)

# JupyterHub configuration of a jupyterhub-classroom server: static, installed as
# /etc/jupyterhub-classroom/jupyterhub_config.py. Everything that differs between classes comes from
# class.json and secrets.json (written by classroom-apply) through classroom_hub.settings.
import sys
from pathlib import Path

from classroom_hub.admission import default_limit
from classroom_hub.authenticators import configure_login
from classroom_hub.grading import exchange_root
from classroom_hub.hub_rights import configure_rights
from classroom_hub.pages import configure_pages
from classroom_hub.spawn_hook import make_pre_spawn_hook
from classroom_hub.proxy import ClassroomTraefikProxy
from classroom_hub.services import hub_services
from classroom_hub.settings import load_secrets, load_settings
from classroom_hub.quotas import staff_accounts
from classroom_hub.shared_data import SHARED_DATA
from classroom_hub.staff import course_staff
from classroom_hub.spawner import ClassroomSpawner

c = get_config()  # noqa: F821 (defined by traitlets while it loads this file)
settings = load_settings()
secrets = load_secrets(settings)
auth, limits = settings["auth"], settings["limits"]

USER_VENV = "/opt/jupyterhub-classroom/user"
CLASSROOM_STATE = "/var/lib/jupyterhub-classroom"

# --- Hub ---
# Traefik terminates TLS; public_url is how the hub names itself in redirects and to services.
c.JupyterHub.public_url = f"https://{settings['hostname']}/"
# Only Traefik and the students' servers talk to the hub, over loopback.
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.JupyterHub.db_url = "sqlite:////var/lib/jupyterhub/jupyterhub.sqlite"
# Kept across restarts and Droplet replacements, so students stay logged in.
c.JupyterHub.cookie_secret = bytes.fromhex(secrets["cookieSecret"])
# Every cookie the hub sets is Secure: the login cookies already are (public_url is https), and this
# adds the _xsrf cookie, whose options default to these.
c.JupyterHub.tornado_settings = {"cookie_options": {"secure": True}}
# classroom-apply restarts the hub; students' servers (their own systemd units) keep running.
c.JupyterHub.cleanup_servers = False
# Students over the limit wait in the spawner's admission queue (admission.py), never get a 429.
c.JupyterHub.concurrent_spawn_limit = 0
c.ClassroomSpawner.admission_limit = limits["concurrentSpawnLimit"] or default_limit(float(limits["cpu"]))
if settings["perStudentOrigins"]:
    # Each student's server on its own origin, https://<name>.<hostname>/, so a page one student
    # serves cannot script another's server or the hub: JupyterHub calls one shared origin "not
    # suitable for untrusted users". Traefik holds the wildcard certificate (DNS-01).
    c.JupyterHub.subdomain_host = f"https://{settings['hostname']}"

# --- Proxy: Traefik is its own systemd unit, so a hub restart never drops connections ---
# The file provider, writing routes the traefik user can read (the hub runs as root).
c.JupyterHub.proxy_class = ClassroomTraefikProxy
c.TraefikFileProviderProxy.should_start = False
c.TraefikFileProviderProxy.traefik_api_url = "http://127.0.0.1:8099"
c.TraefikFileProviderProxy.traefik_api_username = "jupyterhub"
c.TraefikFileProviderProxy.traefik_api_password = secrets["traefikApiPassword"]
c.TraefikFileProviderProxy.dynamic_config_file = f"{CLASSROOM_STATE}/traefik-rules/rules.toml"
# Entry point names of /etc/traefik/traefik.yaml.
c.TraefikFileProviderProxy.traefik_entrypoint = "websecure"
c.TraefikFileProviderProxy.traefik_api_entrypoint = "traefik"

# --- Login: the provider's authenticator and options (classroom_hub/authenticators.py PROVIDERS) ---
configure_login(c, auth, secrets["oauthClientSecret"])

# --- Students' servers ---
c.JupyterHub.spawner_class = ClassroomSpawner
# `python -s`: the server itself never loads what a student installed with `pip install --user`
# (~/.local, code that would run inside it, as config would); their kernels and terminals do.
c.Spawner.cmd = [f"{USER_VENV}/bin/python", "-s", f"{USER_VENV}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
# A student's server reads no Jupyter config from their home (~/.jupyter, ~/.local/etc/jupyter):
# what it runs and how it authenticates stay as the hub set them.
c.Spawner.disable_user_config = True
# Its _xsrf cookie is Secure too (jupyter-server's own default is not). SystemdSpawner expands
# {USERNAME} in every argument with str.format: the dict's braces are doubled.
c.Spawner.args = ["--ServerApp.tornado_settings={{'xsrf_cookie_kwargs': {{'secure': True}}}}"]
c.Spawner.mem_limit = limits["memory"]
c.Spawner.cpu_limit = float(limits["cpu"])
# A whole class logging in at once on a small Droplet starts slowly: both the unit's start and
# the server's first answer (http_timeout, 30 s by default) wait up to two minutes
# (bench/class-start.ts, 30 students at once on 2 cores: 30 of 30 ready, the slowest in 97 s).
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.pre_spawn_hook = make_pre_spawn_hook(
    settings["course"], secrets["courseRepoToken"],
    homes=Path("/srv/classroom/home"), mirror=Path(f"{CLASSROOM_STATE}/course-mirror.git"),
    shared=settings["sharedData"], shared_root=SHARED_DATA,
    quota_gb=settings["diskQuotaGb"], staff_accounts=frozenset(staff_accounts(auth)), volume=Path("/srv/classroom"),
)
# The shared data folder (classroom_hub/shared_data.py): writable in course staff's servers only.
c.ClassroomSpawner.shared_data = str(SHARED_DATA) if settings["sharedData"] else ""
c.ClassroomSpawner.course_staff = course_staff(auth)
c.SystemdSpawner.extra_paths = [f"{USER_VENV}/bin"]
# Each student's server runs in the sandbox of classroom_hub/sandbox.py (ClassroomSpawner sets it);
# with grading, nbgrader's exchange (classroom_hub/grading.py) is writable there too.
if settings["grading"] is not None:
    c.ClassroomSpawner.exchange = str(exchange_root())

# --- Services: the idle culler (idleTimeoutSeconds, 0: none), the class warmer (classSchedule) and
# the formgrader (grading) ---
c.JupyterHub.services, c.JupyterHub.load_roles = hub_services(settings, sys.executable, USER_VENV)

# --- Course staff: the students' and staff's groups, the instructors' and TAs' roles (hub_rights.py) ---
configure_rights(c, auth)

# --- Login and home pages: the course's title, links and announcements (classroom_hub/pages.py) ---
configure_pages(c, settings)

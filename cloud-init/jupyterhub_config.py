# JupyterHub configuration of a jupyterhub-classroom server: static, installed as
# /etc/jupyterhub-classroom/jupyterhub_config.py. Everything that differs between classes comes from
# class.json and secrets.json (written by classroom-apply) through classroom_hub.settings.
import sys
from pathlib import Path

from classroom_hub import TEMPLATES
from classroom_hub.admission import default_limit
from classroom_hub.authenticators import AUTHENTICATORS, roster_emails
from classroom_hub.course_repo import make_pre_spawn_hook
from classroom_hub.proxy import ClassroomTraefikProxy
from classroom_hub.services import hub_services
from classroom_hub.settings import load_secrets, load_settings
from classroom_hub.spawner import ClassroomSpawner

c = get_config()  # noqa: F821 (defined by traitlets while it loads this file)
settings = load_settings()
secrets = load_secrets(settings)
auth, limits, login_page = settings["auth"], settings["limits"], settings["loginPage"]

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
# classroom-apply restarts the hub; students' servers (their own systemd units) keep running.
c.JupyterHub.cleanup_servers = False
# Students over the limit wait in the spawner's admission queue (admission.py), never get a 429.
c.JupyterHub.concurrent_spawn_limit = 0
c.ClassroomSpawner.admission_limit = limits["concurrentSpawnLimit"] or default_limit(float(limits["cpu"]))

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

# --- Login ---
c.JupyterHub.authenticator_class = AUTHENTICATORS[auth["provider"]]
c.OAuthenticator.client_id = auth["clientId"]
c.OAuthenticator.client_secret = secrets["oauthClientSecret"]
c.OAuthenticator.oauth_callback_url = auth["callbackUrl"]
c.Authenticator.allowed_users = set(auth["allowedUsers"])
c.Authenticator.admin_users = set(auth["adminUsers"])
# Only the current roster: a student removed from it can no longer log in.
c.Authenticator.allow_existing_users = False
c.ClassroomLogin.roster_emails = roster_emails(auth)
if auth["provider"] == "github":
    c.GitHubOAuthenticator.allowed_organizations = set(auth["githubOrganizations"])
    if auth["githubOrganizations"]:
        # Without it GitHub only reveals public memberships.
        c.GitHubOAuthenticator.scope = ["read:org"]
elif auth["provider"] == "google":
    c.GoogleOAuthenticator.hosted_domain = auth["googleHostedDomains"]
    # usernames.py maps e-mail addresses to hub names for every provider alike.
    c.GoogleOAuthenticator.strip_domain = False
    # Hosted domains only block other domains; without a roster, everyone in them may log in.
    c.GoogleOAuthenticator.allow_all = bool(auth["googleHostedDomains"]) and not auth["allowedUsers"]
else:
    oidc = auth["oidc"]
    c.GenericOAuthenticator.login_service = "your institution's account"
    c.GenericOAuthenticator.authorize_url = oidc["authorizeUrl"]
    c.GenericOAuthenticator.token_url = oidc["tokenUrl"]
    c.GenericOAuthenticator.userdata_url = oidc["userdataUrl"]
    c.GenericOAuthenticator.username_claim = oidc["usernameClaim"]
    c.GenericOAuthenticator.scope = oidc["scopes"]

# --- Students' servers ---
c.JupyterHub.spawner_class = ClassroomSpawner
c.Spawner.cmd = [f"{USER_VENV}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
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
)
c.SystemdSpawner.extra_paths = [f"{USER_VENV}/bin"]
c.SystemdSpawner.isolate_tmp = True
c.SystemdSpawner.isolate_devices = True
# NoNewPrivileges: sudo and setuid programs cannot raise a student's rights.
c.SystemdSpawner.disable_user_sudo = True
c.SystemdSpawner.unit_extra_properties = {
    # The Droplet metadata service hands out user-data and the Droplet's identity.
    "IPAddressDeny": "169.254.169.254",
    # Secrets, cloud-init data, Traefik's certificates and API hash, the hub database, the admin's
    # home: closed to students even if a permission is ever wrong. "-": the path may not exist.
    "InaccessiblePaths": " ".join(f"-{path}" for path in [
        "/etc/jupyterhub-classroom", "/var/lib/cloud", "/run/cloud-init", "/var/lib/traefik",
        f"{CLASSROOM_STATE}/traefik-rules", "/var/lib/jupyterhub",
    ]),
    "ProtectHome": "yes",
}

# --- Services: the idle culler (idleTimeoutSeconds, 0: none) and the class warmer (classSchedule) ---
c.JupyterHub.services, c.JupyterHub.load_roles = hub_services(settings, sys.executable)

# --- Login page: templates/login.html reads these; Jinja escapes every value ---
c.JupyterHub.template_paths = [str(TEMPLATES)]
c.JupyterHub.template_vars = {"classroom": {
    "title": login_page["title"],
    "logo_url": login_page["logoUrl"],
    "primary_color": login_page["primaryColor"],
    "announcement": login_page["announcement"],
    "help_links": login_page["helpLinks"],
}}

# The class's part of the hub configuration on Kubernetes: static, carried by the Zero to
# JupyterHub chart as hub.extraConfig.classroom, which the chart's own jupyterhub_config.py runs
# last, with its `c` (the config object) in scope; its get_config is the chart's helper, not traitlets'. Like the Droplet's cloud-init/jupyterhub_config.py it reads the
# class from class.json (mounted from hub.extraFiles, path in CLASSROOM_SETTINGS) through the
# shared classroom_hub package (mounted beside it, on PYTHONPATH). The chart sets KubeSpawner,
# limits, storage, the culler and the proxy from the other values; this file sets login and the
# login page, the parts the two platforms share.
import os

from classroom_hub import TEMPLATES
from classroom_hub.authenticators import AUTHENTICATORS, roster_emails
from classroom_hub.settings import load_settings

settings = load_settings()
auth, login_page = settings["auth"], settings["loginPage"]

# --- Login: the same providers and user-name rules as on the Droplet ---
c.JupyterHub.authenticator_class = AUTHENTICATORS[auth["provider"]]
c.OAuthenticator.client_id = auth["clientId"]
# From the stack's Kubernetes Secret through the environment (hub.extraEnv), never from values.
c.OAuthenticator.client_secret = os.environ["OAUTH_CLIENT_SECRET"]
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

# --- Login page: the Droplet's templates/login.html, mounted beside the package ---
c.JupyterHub.template_paths = [str(TEMPLATES)]
c.JupyterHub.template_vars = {"classroom": {
    "title": login_page["title"],
    "logo_url": login_page["logoUrl"],
    "primary_color": login_page["primaryColor"],
    "announcement": login_page["announcement"],
    "help_links": login_page["helpLinks"],
}}

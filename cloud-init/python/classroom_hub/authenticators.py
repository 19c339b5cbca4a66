"""The login providers, one table: each provider's authenticator class and the options it takes from
class.json. Adding a provider is one entry here and one in lib/config (keys.ts, identity.ts).

E-mail logins become their local part (ada@example.edu → ada). The stack lets a class take
addresses of one domain only, and pins every roster entry to its whole address (settings.py
refuses a class.json that does not), so only ada@example.edu may become hub user ada, student or
admin alike. A login whose provider says its e-mail address is not verified is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass

from jupyterhub.auth import Authenticator
from jupyterhub.utils import maybe_future
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.github import GitHubOAuthenticator
from oauthenticator.google import GoogleOAuthenticator
from traitlets import Dict

from .usernames import is_valid_hub_name, normalize_login

# What providers call "the address is verified": OpenID Connect's claim, and Google's older one.
_VERIFIED_CLAIMS = ("email_verified", "verified_email")


class ClassroomLogin(Authenticator):
    roster_emails = Dict(
        help="Hub user name → the roster's e-mail address for it; a login that maps to that name "
             "with another address is refused.",
    ).tag(config=True)
    class_groups = Dict(
        help="The class's groups (hub_rights.py) → their members' hub names: a user in one of these "
             "groups but not among its members is taken out of it.",
    ).tag(config=True)

    def add_user(self, user):
        # The hub calls this for every user in its database at each start; JupyterHub's
        # load_groups only ever adds members, so a student or TA the roster dropped leaves here.
        super().add_user(user)
        user.groups = [group for group in user.groups
                       if group.name not in self.class_groups or user.name in self.class_groups[group.name]]

    def normalize_username(self, username):
        return normalize_login(username)

    def validate_username(self, username):
        return is_valid_hub_name(username) and super().validate_username(username)

    async def check_blocked_users(self, username, auth_model):
        if not await maybe_future(super().check_blocked_users(username, auth_model)):
            return False
        user_info = (auth_model or {}).get("auth_state", {}).get(self.user_auth_state_key, {})
        unverified = [claim for claim in _VERIFIED_CLAIMS if user_info.get(claim) is False]
        if unverified:
            self.log.warning("Refusing %s: the provider says its e-mail address is not verified (%s: false)",
                             username, unverified[0])
            return False
        return True

    async def check_allowed(self, username, auth_model):
        if not await maybe_future(super().check_allowed(username, auth_model)):
            return False
        address = self.roster_emails.get(username)
        if address is None or auth_model is None:
            return True
        login = self.user_info_to_username(auth_model["auth_state"][self.user_auth_state_key]).lower()
        if login != address:
            self.log.warning("Refusing %s: the roster reserves hub user %s for %s", login, username, address)
            return False
        return True


class ClassroomGitHubOAuthenticator(ClassroomLogin, GitHubOAuthenticator):
    pass


class ClassroomGoogleOAuthenticator(ClassroomLogin, GoogleOAuthenticator):
    pass


class ClassroomGenericOAuthenticator(ClassroomLogin, GenericOAuthenticator):
    pass


def _github(c, auth: dict) -> None:
    c.GitHubOAuthenticator.allowed_organizations = set(auth["githubOrganizations"])
    if auth["githubOrganizations"]:
        # Without it GitHub only reveals public memberships.
        c.GitHubOAuthenticator.scope = ["read:org"]


def _google(c, auth: dict) -> None:
    c.GoogleOAuthenticator.hosted_domain = auth["googleHostedDomains"]
    # usernames.py maps e-mail addresses to hub names for every provider alike.
    c.GoogleOAuthenticator.strip_domain = False
    # Hosted domains only block other domains; without a roster, everyone in them may log in.
    c.GoogleOAuthenticator.allow_all = bool(auth["googleHostedDomains"]) and not auth["allowedUsers"]


def _oidc(c, auth: dict) -> None:
    oidc = auth["oidc"]
    c.GenericOAuthenticator.login_service = "your institution's account"
    c.GenericOAuthenticator.authorize_url = oidc["authorizeUrl"]
    c.GenericOAuthenticator.token_url = oidc["tokenUrl"]
    c.GenericOAuthenticator.userdata_url = oidc["userdataUrl"]
    c.GenericOAuthenticator.username_claim = oidc["usernameClaim"]
    c.GenericOAuthenticator.scope = oidc["scopes"]


@dataclass(frozen=True)
class Provider:
    authenticator: type[ClassroomLogin]
    configure: Callable[[object, dict], None]


PROVIDERS = {
    "github": Provider(ClassroomGitHubOAuthenticator, _github),
    "google": Provider(ClassroomGoogleOAuthenticator, _google),
    "oidc": Provider(ClassroomGenericOAuthenticator, _oidc),
}


def roster_emails(auth: dict) -> dict[str, str]:
    """The roster's e-mail addresses by hub user name (settings.py has refused two per name)."""
    logins = [login.lower() for login in auth["allowedUsers"] + auth["adminUsers"] + auth["teachingAssistants"]]
    return {normalize_login(login): login for login in logins if "@" in login}


def configure_login(c, auth: dict, client_secret: str) -> None:
    """Sets the hub's login from class.json's auth and the OAuth client secret."""
    provider = PROVIDERS[auth["provider"]]
    c.JupyterHub.authenticator_class = provider.authenticator
    c.OAuthenticator.client_id = auth["clientId"]
    c.OAuthenticator.client_secret = client_secret
    c.OAuthenticator.oauth_callback_url = auth["callbackUrl"]
    # Teaching assistants log in as students do; their rights are hub_rights.py's role.
    c.Authenticator.allowed_users = set(auth["allowedUsers"] + auth["teachingAssistants"])
    # Instructors log in as admins; hub_rights.py's admin role also takes admin away from one the
    # roster no longer lists (JupyterHub logs that both are set, and uses the two together).
    c.Authenticator.admin_users = set(auth["adminUsers"])
    # Only the current roster: a student removed from it can no longer log in.
    c.Authenticator.allow_existing_users = False
    c.ClassroomLogin.roster_emails = roster_emails(auth)
    provider.configure(c, auth)

"""The three login providers, each with the class's user-name rules (usernames.py).

E-mail logins become their local part (ada@example.edu → ada), so two people with the same local
part in different domains would share one hub user. Roster entries that are e-mail addresses
therefore also pin the whole address: only ada@example.edu may become hub user ada.
"""

from jupyterhub.auth import Authenticator
from jupyterhub.utils import maybe_future
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.github import GitHubOAuthenticator
from oauthenticator.google import GoogleOAuthenticator
from traitlets import Dict

from .usernames import is_valid_hub_name, normalize_login


class ClassroomLogin(Authenticator):
    roster_emails = Dict(
        help="Hub user name → the roster's e-mail address for it; a login that maps to that name "
             "with another address is refused.",
    ).tag(config=True)

    def normalize_username(self, username):
        return normalize_login(username)

    def validate_username(self, username):
        return is_valid_hub_name(username) and super().validate_username(username)

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


AUTHENTICATORS = {
    "github": ClassroomGitHubOAuthenticator,
    "google": ClassroomGoogleOAuthenticator,
    "oidc": ClassroomGenericOAuthenticator,
}


def roster_emails(auth: dict) -> dict[str, str]:
    """The roster's e-mail addresses by hub user name (settings.py has refused two per name)."""
    logins = [login.lower() for login in auth["allowedUsers"] + auth["adminUsers"]]
    return {normalize_login(login): login for login in logins if "@" in login}

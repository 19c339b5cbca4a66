"""The real JupyterHub loads cloud-init/jupyterhub_config.py for each login provider."""

import asyncio
import json
import logging
import os
from types import SimpleNamespace

import pytest
from conftest import CLOUD_INIT, class_secrets, class_settings
from jupyterhub.app import JupyterHub
from traitlets.config import Configurable

from classroom_hub import INSTALL_DIR
from classroom_hub.proxy import ClassroomTraefikProxy
from classroom_hub.settings import SettingsError

CONFIG = CLOUD_INIT / "jupyterhub_config.py"


class Hub:
    """A JupyterHub app with the config file loaded, and what it logged meanwhile."""

    def __init__(self, tmp_path, monkeypatch, settings: dict, secrets: dict | None = None):
        for name, data in (("class.json", settings), ("secrets.json", secrets or class_secrets())):
            (tmp_path / name).write_text(json.dumps(data))
        monkeypatch.setenv("CLASSROOM_SETTINGS", str(tmp_path / "class.json"))
        monkeypatch.setenv("CLASSROOM_SECRETS", str(tmp_path / "secrets.json"))
        self.app = JupyterHub()
        self.records: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = self.records.append
        self.app.log.addHandler(handler)
        self.app.load_config_file(str(CONFIG))
        self.config = self.app.config
        # Instantiating is what makes traitlets check each class's options.
        self.authenticator = self.app.authenticator_class(parent=self.app)
        self.spawner = self.app.spawner_class(parent=self.app, user=SimpleNamespace(name="ada", id=1))

    def unrecognized_options(self) -> list[str]:
        """Every config key that no configurable class of this hub has, and every warning about one."""
        classes = [JupyterHub, self.app.authenticator_class, self.app.spawner_class, ClassroomTraefikProxy]
        traits: dict[str, set[str]] = {}
        for cls in classes:
            for base in cls.mro():
                if isinstance(base, type) and issubclass(base, Configurable):
                    traits.setdefault(base.__name__, set()).update(base.class_trait_names(config=True))
        unknown = [f"{section}.{key}" for section, values in self.config.items()
                   for key in values if key not in traits.get(section, ())]
        return unknown + [r.getMessage() for r in self.records if "not recognized" in r.getMessage()]


@pytest.fixture
def hub(tmp_path, monkeypatch):
    return lambda settings, secrets=None: Hub(tmp_path, monkeypatch, settings, secrets)


@pytest.mark.parametrize("provider", ["github", "google", "oidc"])
def test_every_option_is_one_the_hub_knows(hub, provider):
    assert hub(class_settings(provider)).unrecognized_options() == []


def test_hub_traits(hub):
    h = hub(class_settings("github"))
    app = h.app
    assert app.public_url == "https://engr101.example.edu/"
    assert app.hub_bind_url == "http://127.0.0.1:8081"
    assert app.db_url == "sqlite:////var/lib/jupyterhub/jupyterhub.sqlite"
    assert app.cookie_secret == bytes.fromhex("ab" * 32)
    # Every cookie Secure; the _xsrf cookie's options default to these (test_login_page.py sees them).
    assert app.tornado_settings == {"cookie_options": {"secure": True}}
    assert app.cleanup_servers is False
    # The admission queue (classroom_hub.admission) takes over: nobody gets a 429.
    assert app.concurrent_spawn_limit == 0
    assert app.proxy_class is ClassroomTraefikProxy
    proxy = h.config.TraefikFileProviderProxy
    assert proxy.should_start is False
    assert proxy.traefik_api_url == "http://127.0.0.1:8099"
    assert (proxy.traefik_api_username, proxy.traefik_api_password) == ("jupyterhub", "traefik-password-5e1d7b2c")
    assert proxy.dynamic_config_file == "/var/lib/jupyterhub-classroom/traefik-rules/rules.toml"
    assert (proxy.traefik_entrypoint, proxy.traefik_api_entrypoint) == ("websecure", "traefik")


def test_one_origin_for_everyone_unless_per_student_origins(hub):
    assert hub(class_settings("github")).app.subdomain_host == ""
    settings = class_settings("github")
    settings["perStudentOrigins"] = True
    app = hub(settings, {**class_secrets(), "cloudflareDnsToken": "cfToken_0123456789abcdefghij"}).app
    assert app.subdomain_host == "https://engr101.example.edu"
    # The hub stays where the login provider sends students back: the callback is unchanged.
    assert app.public_url == "https://engr101.example.edu/"
    assert app.hub_routespec == "/"


def test_spawner_traits(hub):
    spawner = hub(class_settings("github")).spawner
    assert spawner.username_template == "jupyter-ada"
    assert spawner.cmd == ["/opt/jupyterhub-classroom/user/bin/python", "-s",
                           "/opt/jupyterhub-classroom/user/bin/jupyterhub-singleuser"]
    assert spawner.default_url == "/lab"
    # Config in the student's home is ignored (the e2e test plants some).
    assert spawner.disable_user_config is True
    # As SystemdSpawner passes them to systemd-run (it expands {USERNAME} in each).
    assert [spawner._expand_user_vars(arg) for arg in spawner.args] == [
        "--ServerApp.tornado_settings={'xsrf_cookie_kwargs': {'secure': True}}"]
    assert spawner.mem_limit == 2 * 1024**3
    assert spawner.cpu_limit == 1.0
    # A class starting at once: the default 30 s for a server's first answer failed 7 of 30 (bench/).
    assert spawner.start_timeout == 120 and spawner.http_timeout == 120
    assert callable(spawner.pre_spawn_hook)
    # The sandbox (classroom_hub/sandbox.py, test_sandbox.py) is the spawner's, set as it starts.
    assert type(spawner).__name__ == "ClassroomSpawner"
    assert spawner.admission_limit == 20


def test_github_login(hub):
    auth = hub(class_settings("github")).authenticator
    assert type(auth).__name__ == "ClassroomGitHubOAuthenticator"
    assert auth.client_id == "Iv1.0123456789abcdef"
    assert auth.client_secret == "client-secret-0f3c9a"
    assert auth.oauth_callback_url == "https://engr101.example.edu/hub/oauth_callback"
    assert auth.allowed_organizations == {"engr101-students"}
    assert auth.scope == ["read:org"]
    assert auth.allowed_users == {"ada", "grace"}
    assert auth.admin_users == {"prof"}
    assert auth.allow_existing_users is False
    assert auth.allow_all is False


def test_google_login(hub):
    auth = hub(class_settings("google")).authenticator
    assert type(auth).__name__ == "ClassroomGoogleOAuthenticator"
    assert auth.hosted_domain == ["example.edu"]
    assert auth.strip_domain is False
    assert auth.allow_all is False
    assert {auth.normalize_username(u) for u in auth.allowed_users} == {"ada", "grace"}
    assert auth.roster_emails == {"ada": "ada@example.edu", "grace": "grace@example.edu", "prof": "prof@example.edu"}


def test_google_hosted_domain_without_a_roster_admits_the_domain(hub):
    settings = class_settings("google")
    settings["auth"]["allowedUsers"] = []
    assert hub(settings).authenticator.allow_all is True


def test_oidc_login(hub):
    auth = hub(class_settings("oidc")).authenticator
    assert type(auth).__name__ == "ClassroomGenericOAuthenticator"
    assert auth.authorize_url == "https://login.example.edu/authorize"
    assert auth.token_url == "https://login.example.edu/token"
    assert auth.userdata_url == "https://login.example.edu/userinfo"
    assert auth.username_claim == "email"
    assert auth.scope == ["openid", "email"]
    assert auth.normalize_username("Grace.Hopper@Example.edu") == "grace.hopper"
    assert auth.roster_emails["grace.hopper"] == "grace.hopper@example.edu"


@pytest.mark.parametrize("login,allowed", [
    ("ada@example.edu", True),
    ("Ada@Example.EDU", True),
    ("ada@elsewhere.org", False),  # same local part, another person
    ("mallory@example.edu", False),
])
def test_an_e_mail_login_must_be_the_rosters_own_address(hub, login, allowed):
    auth = hub(class_settings("oidc")).authenticator
    auth.allowed_users = {auth.normalize_username(u) for u in auth.allowed_users}  # as the hub does at start
    name = auth.normalize_username(login)
    model = {"name": name, "admin": None, "auth_state": {auth.user_auth_state_key: {"email": login}}}
    assert asyncio.run(auth.check_allowed(name, model)) is allowed


@pytest.mark.parametrize("login", ["../x", "a/b", "\u212aate", "émile", "first.last+cs101@example.edu", "-rf"])
def test_unsafe_logins_are_refused(hub, login):
    auth = hub(class_settings("github")).authenticator
    assert not auth.validate_username(auth.normalize_username(login))


def test_idle_culler_service_and_its_role(hub):
    app = hub(class_settings("github")).app
    culler = next(s for s in app.services if s["name"] == "idle-culler")
    assert "--timeout=3600" in culler["command"]
    assert {"name": "idle-culler", "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]} in app.load_roles


def test_the_class_warmer_may_only_start_and_mark_active_the_rosters_students_servers(hub):
    settings = class_settings("oidc")
    settings["auth"]["adminUsers"].append("ada@example.edu")
    app = hub(settings).app
    warmer = next(s for s in app.services if s["name"] == "class-warmer")
    assert warmer["command"][-2:] == ["-m", "classroom_hub.warmer"]
    role = next(r for r in app.load_roles if r["name"] == "class-warmer")
    # ada is an admin too: never warmed. grace.hopper is the roster's only student.
    assert role == {"name": "class-warmer", "services": ["class-warmer"],
                    "scopes": ["servers!user=grace.hopper", "users:activity!user=grace.hopper"]}


def grading_settings(provider: str = "github") -> dict:
    settings = class_settings(provider)
    settings["grading"] = {"courseId": "engr101"}
    return settings


def test_with_grading_every_option_is_one_the_hub_knows(hub):
    assert hub(grading_settings()).unrecognized_options() == []


def test_without_grading_no_formgrader_and_no_exchange(hub):
    h = hub(class_settings("github"))
    assert [s for s in h.app.services if s["name"] == "formgrader"] == []
    assert h.spawner.exchange == ""


def test_the_formgrader_runs_as_the_grader_in_the_course_directory_for_the_course_staff(hub):
    h = hub(grading_settings())
    formgrader = next(s for s in h.app.services if s["name"] == "formgrader")
    assert formgrader["user"] == "jupyterhub-grader"
    assert formgrader["url"] == "http://127.0.0.1:8097"
    assert formgrader["cwd"] == "/srv/classroom/grading/jupyterhub-grader/engr101"
    assert formgrader["command"] == [
        "/opt/jupyterhub-classroom/user/bin/python", "-s", "/opt/jupyterhub-classroom/user/bin/jupyterhub-singleuser",
        "--ServerApp.root_dir=/srv/classroom/grading/jupyterhub-grader", "--ServerApp.default_url=/formgrader"]
    assert formgrader["environment"]["JUPYTER_CONFIG_PATH"] == str(INSTALL_DIR / "jupyter" / "grader")
    assert {"name": "formgrader-access", "scopes": ["access:services!service=formgrader"],
            "groups": ["course-staff"]} in h.app.load_roles
    assert h.spawner.exchange == "/srv/classroom/grading/exchange"


def test_a_derived_admission_limit_when_concurrentSpawnLimit_is_0(hub):
    settings = class_settings("github")
    settings["limits"].update(concurrentSpawnLimit=0, cpu=0.5)
    # Twice the vCPUs over a student's half core.
    assert hub(settings).spawner.admission_limit == 4 * os.cpu_count()


def test_an_idle_timeout_of_zero_runs_no_culler(hub):
    settings = class_settings("github")
    settings["limits"]["idleTimeoutSeconds"] = 0
    settings["auth"]["allowedUsers"] = []
    settings["auth"]["githubOrganizations"] = ["engr101-students"]
    app = hub(settings).app
    assert app.services == []
    assert [role["name"] for role in app.load_roles] == ["admin", "teaching-assistant"]


def test_an_unknown_settings_version_stops_the_hub(hub):
    settings = class_settings("github")
    settings["version"] = 2
    with pytest.raises(SettingsError, match=r"version: got 2; this server reads version 1"):
        hub(settings)


def test_an_unknown_key_stops_the_hub(hub):
    settings = class_settings("github")
    settings["limits"]["memmory"] = "2G"
    with pytest.raises(SettingsError, match=r"limits.memmory: is not a known setting"):
        hub(settings)


def _login(auth, user_info: dict):
    """Runs the hub's whole login decision (oauthenticator's auth model, then JupyterHub's checks)
    on what the provider answered; only the provider's HTTP answer is given, not fetched."""
    async def from_provider(token_info):
        return dict(user_info)

    async def authenticate(handler, data=None):
        return await auth._token_to_auth_model({"access_token": "token"})

    auth.token_to_user = from_provider
    auth.authenticate = authenticate
    # As the hub does at start.
    auth.allowed_users = {auth.normalize_username(u) for u in auth.allowed_users}
    auth.admin_users = {auth.normalize_username(u) for u in auth.admin_users}
    return asyncio.run(auth.get_authenticated_user(None, None))


def _one_domain(provider: str) -> dict:
    settings = class_settings(provider)
    settings["auth"].update(allowedUsers=["ada@example.edu"], adminUsers=["dean@example.edu"], googleHostedDomains=[])
    return settings


def _user_info(provider: str, email: str, **claims) -> dict:
    info = {"email": email, "email_verified": True, **claims}
    if provider == "google":
        # Google's userinfo (v2) names it verified_email, and says which Workspace (hd).
        info.update(verified_email=True, hd=email.rsplit("@", 1)[1])
    return info


@pytest.mark.parametrize("provider", ["google", "oidc"])
@pytest.mark.parametrize("email,admin", [("ada@example.edu", False), ("dean@example.edu", True)])
def test_the_rosters_own_address_logs_in(hub, provider, email, admin):
    logged_in = _login(hub(_one_domain(provider)).authenticator, _user_info(provider, email))
    assert logged_in is not None and logged_in["name"] == email.split("@")[0]
    assert bool(logged_in["admin"]) is admin


@pytest.mark.parametrize("provider", ["google", "oidc"])
@pytest.mark.parametrize("email", ["ada@evil.example", "Ada@Other.Example", "dean@evil.example"])
def test_a_second_identity_with_a_roster_local_part_is_refused_student_or_admin(hub, provider, email):
    assert _login(hub(_one_domain(provider)).authenticator, _user_info(provider, email)) is None


@pytest.mark.parametrize("provider", ["google", "oidc"])
@pytest.mark.parametrize("claim", ["email_verified", "verified_email"])
def test_an_unverified_e_mail_address_is_refused(hub, provider, claim):
    info = {**_user_info(provider, "ada@example.edu"), claim: False}
    assert _login(hub(_one_domain(provider)).authenticator, info) is None
    admin = {**_user_info(provider, "dean@example.edu"), claim: False}
    assert _login(hub(_one_domain(provider)).authenticator, admin) is None


def test_a_hosted_domain_class_without_a_roster_refuses_unverified_addresses(hub):
    settings = class_settings("google")
    settings["auth"].update(allowedUsers=[], adminUsers=[])
    auth = hub(settings).authenticator
    assert _login(auth, _user_info("google", "zoe@example.edu"))["name"] == "zoe"
    assert _login(auth, {**_user_info("google", "zoe@example.edu"), "email_verified": False}) is None


def test_course_staff_log_in_and_get_the_classs_groups_and_roles(hub):
    settings = class_settings("oidc")
    settings["auth"]["teachingAssistants"] = ["tara@example.edu"]
    h = hub(settings)
    auth, app = h.authenticator, h.app
    assert {auth.normalize_username(u) for u in auth.allowed_users} == {"ada", "grace.hopper", "tara"}
    assert auth.roster_emails["tara"] == "tara@example.edu"
    groups = {"students": ["ada", "grace.hopper"], "course-staff": ["prof", "tara"]}
    assert app.load_groups == {name: {"users": members} for name, members in groups.items()}
    assert auth.class_groups == groups
    # After the hub's own services' roles (hub_rights.py renders them; test_hub_rights.py checks them).
    assert [role["name"] for role in app.load_roles] == ["class-warmer", "idle-culler", "admin", "teaching-assistant"]


def test_the_home_pages_announcement(hub):
    settings = class_settings("github")
    settings["homePage"]["announcement"] = "Office hours: Tue 14:00"
    assert hub(settings).app.template_vars["classroom"]["home_announcement"] == "Office hours: Tue 14:00"


@pytest.mark.parametrize("provider", ["google", "oidc"])
def test_a_teaching_assistant_logs_in_with_the_rosters_address_only_and_is_no_admin(hub, provider):
    settings = _one_domain(provider)
    settings["auth"]["teachingAssistants"] = ["tara@example.edu"]
    logged_in = _login(hub(settings).authenticator, _user_info(provider, "tara@example.edu"))
    assert logged_in is not None and logged_in["name"] == "tara" and not logged_in["admin"]
    assert _login(hub(settings).authenticator, _user_info(provider, "tara@evil.example")) is None

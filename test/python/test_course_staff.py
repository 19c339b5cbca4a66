"""Course staff on a real hub (cloud-init/jupyterhub_config.py behind Traefik, real_hub.py): what a
teaching assistant's token may do through the hub's API and OAuth, what it is refused, and a roster
change applied by a restart on the same database (as classroom-apply does) taking rights away.

What this machine cannot have is replaced in a test config that loads the class's: servers are
JupyterHub's own mock single-user servers (jupyterhub.tests.mocking.MockSpawner; no systemd here for
the class's spawner), and the pages are reached with a password login (the class's authenticator,
ClassroomLogin, on JupyterHub's DummyAuthenticator: no OAuth provider here). What is under test is
the hub's decision, which these do not take part in."""

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import real_hub
from conftest import class_settings
from real_hub import CONFIG, RealHub

PASSWORD = "test-password-3f9c1e"
TOKENS = {name: f"test-token-{name}-0123456789abcdef" for name in ("ada", "grace", "tara", "prof", "dean")}
HOSTILE_HOME_ANNOUNCEMENT = "<script>alert('home')</script> Office hours moved to Tuesday"


def roster(students: list[str], instructors: list[str], tas: list[str]) -> dict:
    settings = class_settings("github")
    settings["auth"].update(allowedUsers=students, adminUsers=instructors, teachingAssistants=tas, githubOrganizations=[])
    settings["classSchedule"]["meetings"] = []  # the warmer starts nobody's server meanwhile
    settings["homePage"]["announcement"] = HOSTILE_HOME_ANNOUNCEMENT
    return settings


@pytest.fixture(scope="module")
def traefik_account():
    yield from real_hub.traefik_account()


@pytest.fixture(scope="module")
def hub(traefik_account):
    hub = RealHub(roster(["ada", "grace"], ["prof", "dean"], ["tara"]), traefik_account,
                  config=None)
    # The class's configuration, then what this machine cannot run: the spawner (the mock server
    # as the hub's own user, no course copy) and tokens for the test's users.
    hub.config = hub.root / "test_config.py"
    hub.config.write_text(
        "import sys\n"
        f"load_subconfig({str(CONFIG)!r})\n"
        "c.JupyterHub.spawner_class = 'jupyterhub.tests.mocking.MockSpawner'\n"
        "c.MockSpawner.cmd = [sys.executable, '-m', 'jupyterhub.tests.mocksu']\n"
        "c.Spawner.pre_spawn_hook = None\n"
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(hub.root / 'homes' / '{username}')!r}\n"
        f"c.JupyterHub.api_tokens = {dict((token, name) for name, token in TOKENS.items())!r}\n"
        "from classroom_hub.authenticators import ClassroomLogin\n"
        "from jupyterhub.auth import DummyAuthenticator\n"
        "class PasswordLogin(ClassroomLogin, DummyAuthenticator):\n"
        "    user_auth_state_key = 'oauth_user'  # what ClassroomLogin reads of an OAuth login\n"
        "    async def authenticate(self, handler, data):\n"
        "        name = await super().authenticate(handler, data)\n"
        "        return name and {'name': name, 'auth_state': {'oauth_user': {}}}\n"
        "c.JupyterHub.authenticator_class = PasswordLogin\n"
        f"c.DummyAuthenticator.password = {PASSWORD!r}\n")
    try:
        hub.start()
        yield hub
    finally:
        for name in TOKENS:  # no mock server outlives the test
            call(hub, "dean", "DELETE", f"/users/{name}/server")
        hub.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def _open(opener, request) -> tuple[int, str]:
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def call(hub: RealHub, who: str, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    """The hub's API with who's token."""
    request = urllib.request.Request(f"{hub.url}/hub/api{path}", method=method,
                                     headers={"Authorization": f"token {TOKENS[who]}"},
                                     data=None if body is None else json.dumps(body).encode())
    return _open(urllib.request.build_opener(_NoRedirect), request)


class _SecureOverLoopback(http.cookiejar.DefaultCookiePolicy):
    """The hub's cookies are Secure; here they travel over plain http on loopback."""

    def return_ok_secure(self, cookie, request):
        return True


def logged_in(hub: RealHub, who: str):
    """A browser's cookie session for who, through the hub's login form; returns get(path) → (status, page)."""
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPCookieProcessor(
        http.cookiejar.CookieJar(policy=_SecureOverLoopback())))
    status, page = _open(opener, urllib.request.Request(f"{hub.url}/hub/login"))
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    form = urlencode({"username": who, "password": PASSWORD, "_xsrf": xsrf}).encode()
    status, _ = _open(opener, urllib.request.Request(f"{hub.url}/hub/login", data=form))
    assert status == 302, hub.log()[-3000:]
    return lambda path: _open(opener, urllib.request.Request(f"{hub.url}/hub{path}"))


def names(hub: RealHub, who: str) -> set[str]:
    status, body = call(hub, who, "GET", "/users")
    assert status == 200, body
    return {user["name"] for user in json.loads(body)}


def wait_until(hub: RealHub, ready: bool, name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = call(hub, "dean", "GET", f"/users/{name}")
        server = json.loads(body)["servers"].get("")
        if (server is not None and server["ready"]) == ready and (server is None or not server["pending"]):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{name}'s server never became {'ready' if ready else 'stopped'}")


def authorize(hub: RealHub, who: str, owner: str) -> tuple[int, str]:
    """The hub's decision when who opens owner's server in a browser: its OAuth authorization step."""
    query = urlencode({"client_id": f"jupyterhub-user-{owner}", "response_type": "code",
                       "redirect_uri": f"/user/{owner}/oauth_callback"})
    return logged_in(hub, who)(f"/api/oauth2/authorize?{query}")


def test_a_teaching_assistant_lists_the_students_only(hub):
    assert names(hub, "tara") == {"ada", "grace"}
    assert call(hub, "tara", "GET", "/users/prof")[0] == 404
    status, body = call(hub, "tara", "GET", "/users/ada")
    assert status == 200 and json.loads(body)["groups"] == ["students"]


def test_a_teaching_assistant_starts_opens_and_stops_a_students_server(hub):
    assert call(hub, "tara", "POST", "/users/ada/server")[0] in (201, 202)
    wait_until(hub, True, "ada")
    # Opening it: the hub asks the TA to confirm, then lets them through to ada's server.
    status, page = authorize(hub, "tara", "ada")
    assert status == 200 and "Authorize access" in page, page
    # Another student may not; ada herself goes straight on.
    assert authorize(hub, "grace", "ada")[0] == 403
    status, _ = authorize(hub, "ada", "ada")
    assert status == 302
    assert call(hub, "tara", "DELETE", "/users/ada/server")[0] in (202, 204)
    wait_until(hub, False, "ada")


def test_a_teaching_assistant_is_refused_the_staffs_servers_and_every_admin_action(hub):
    assert call(hub, "prof", "POST", "/users/prof/server")[0] in (201, 202)
    wait_until(hub, True, "prof")
    assert authorize(hub, "tara", "prof")[0] == 403
    refused = {
        "another staff member's server": call(hub, "tara", "POST", "/users/dean/server"),
        "stopping an instructor's server": call(hub, "tara", "DELETE", "/users/prof/server"),
        "the proxy's routes": call(hub, "tara", "GET", "/proxy"),
        "shutting down the hub": call(hub, "tara", "POST", "/shutdown"),
        "creating a user": call(hub, "tara", "POST", "/users", {"usernames": ["mallory"]}),
        "making a student an admin": call(hub, "tara", "PATCH", "/users/ada", {"admin": True}),
        "deleting a student": call(hub, "tara", "DELETE", "/users/ada"),
        "a token for a student": call(hub, "tara", "POST", "/users/ada/tokens", {}),
        "the groups": call(hub, "tara", "GET", "/groups"),
        "joining a group": call(hub, "tara", "POST", "/groups/course-staff/users", {"users": ["ada"]}),
        "the hub's details": call(hub, "tara", "GET", "/info"),
        "the services": call(hub, "tara", "GET", "/services"),
    }
    assert {what: status for what, (status, _) in refused.items() if status not in (403, 404)} == {}
    assert call(hub, "prof", "DELETE", "/users/prof/server")[0] in (202, 204)


def test_a_teaching_assistant_reaches_the_admin_page_and_a_student_does_not(hub):
    assert logged_in(hub, "tara")("/admin")[0] == 200
    assert logged_in(hub, "ada")("/admin")[0] == 403


def test_the_home_page_shows_the_announcement_as_text(hub):
    status, page = logged_in(hub, "ada")("/home")
    assert status == 200
    assert "&lt;script&gt;alert(&#39;home&#39;)&lt;/script&gt; Office hours moved to Tuesday" in page
    assert "<script>alert(" not in page


def test_a_roster_change_takes_rights_away_at_the_restart(hub):
    # Before: tara is a TA, prof an instructor, grace a student.
    assert call(hub, "prof", "GET", "/proxy")[0] == 200
    # grace leaves the class, tara stops being a TA, prof becomes one (no longer an instructor).
    hub.stop()
    hub.write_settings(roster(["ada"], ["dean"], ["prof"]))
    hub.start()
    status, body = call(hub, "dean", "GET", "/groups")
    assert status == 200
    assert {g["name"]: sorted(g["users"]) for g in json.loads(body)} == {"students": ["ada"], "course-staff": ["dean", "prof"]}
    assert call(hub, "tara", "GET", "/users")[0] == 403
    assert call(hub, "tara", "POST", "/users/ada/server")[0] in (403, 404)
    assert names(hub, "prof") == {"ada"}
    assert call(hub, "prof", "GET", "/proxy")[0] == 403
    assert call(hub, "prof", "POST", "/users/grace/server")[0] in (403, 404)
    status, body = call(hub, "dean", "GET", "/users/prof")
    assert json.loads(body)["admin"] is False and sorted(json.loads(body)["roles"]) == ["teaching-assistant", "user"]

"""A real hub started from cloud-init/jupyterhub_config.py behind a real Traefik, both on loopback.

The login page is rendered by the hub's own Jinja environment and fetched through Traefik, the way
a student's browser gets it; the hub's log shows how it took the config and the culler's role.
"""

import grp
import tomllib
import urllib.request

import pytest
import real_hub
from conftest import class_secrets, class_settings
from real_hub import RealHub

HOSTILE_TITLE = "<script>alert('title')</script> ENGR & 101"
HOSTILE_ANNOUNCEMENT = "<img src=x onerror=alert(1)> Lab 3 is due Friday"
HOSTILE_LINK_TEXT = "<b>Syllabus</b>"


@pytest.fixture(scope="module")
def traefik_account():
    yield from real_hub.traefik_account()


@pytest.fixture(scope="module")
def hub(traefik_account):
    settings = class_settings("github")
    settings["loginPage"].update(title=HOSTILE_TITLE, announcement=HOSTILE_ANNOUNCEMENT,
                                 logoUrl="https://example.edu/logo.png", primaryColor="#8c1d40",
                                 helpLinks=[{"text": HOSTILE_LINK_TEXT, "url": "https://example.edu/syllabus?a=1&b=2"}])
    hub = RealHub(settings, traefik_account)
    try:
        # Only once it runs does the hub stop its services when stopped; the culler asks for the
        # users as soon as it starts.
        page = hub.start(ready=("(idle-culler@",))
        yield {"page": page, "log": hub.log, "rules": hub.rules / "rules.toml", "url": hub.url}
    finally:
        hub.close()


def test_the_login_page_shows_the_course(hub):
    page = hub["page"]
    assert "<title>&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; ENGR &amp; 101</title>" in page
    assert '<h1 class="classroom-title">&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; ENGR &amp; 101</h1>' in page
    assert '<img class="classroom-logo" src="https://example.edu/logo.png" alt="">' in page
    assert "background-color: #8c1d40" in page
    assert '<a href="https://example.edu/syllabus?a=1&amp;b=2" rel="noopener noreferrer">&lt;b&gt;Syllabus&lt;/b&gt;</a>' in page
    assert "&lt;img src=x onerror=alert(1)&gt; Lab 3 is due Friday" in page
    assert "Sign in with GitHub" in page


def test_every_cookie_of_the_login_page_is_secure_the_xsrf_cookie_too(hub):
    # Over plain http on loopback here: Secure must not depend on how the request arrived.
    with urllib.request.urlopen(f"{hub['url']}/hub/login", timeout=10) as response:
        cookies = response.headers.get_all("Set-Cookie")
    assert any(cookie.startswith("_xsrf=") for cookie in cookies), cookies
    assert [cookie for cookie in cookies if "; Secure" not in cookie] == []


def test_no_course_value_reaches_the_page_unescaped(hub):
    page = hub["page"]
    for raw in (HOSTILE_TITLE, HOSTILE_ANNOUNCEMENT, HOSTILE_LINK_TEXT, "<script>alert(", "<img src=x"):
        assert raw not in page


def test_the_hub_recognized_every_option(hub):
    log = hub["log"]()
    assert "not recognized" not in log
    assert "Traceback" not in log


def test_the_idle_culler_may_list_users(hub):
    log = hub["log"]()
    assert "200 GET /hub/api/users" in log and "idle-culler" in log
    assert " 403 " not in log  # a status, not digits of a duration ("2.403ms")


def test_routes_use_the_entry_points_of_the_traefik_config(hub):
    text = hub["rules"].read_text()
    routers = tomllib.loads(text)["http"]["routers"]
    assert routers["route_api"]["entryPoints"] == ["traefik"]
    assert [r["entryPoints"] for name, r in routers.items() if name != "route_api"] == [["websecure"]]
    assert class_secrets()["traefikApiPassword"] not in text  # only its bcrypt hash


def test_the_routes_file_is_readable_by_traefik_and_no_one_else(hub, traefik_account):
    info = hub["rules"].stat()
    assert oct(info.st_mode & 0o777) == "0o640"
    assert grp.getgrgid(info.st_gid).gr_name == traefik_account

"""A real hub started from cloud-init/jupyterhub_config.py behind a real Traefik, both on loopback.

The login page is rendered by the hub's own Jinja environment and fetched through Traefik, the way
a student's browser gets it; the hub's log shows how it took the config and the culler's role.
"""

import grp
import json
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from conftest import CLOUD_INIT, class_secrets, class_settings, free_port

HOSTILE_TITLE = "<script>alert('title')</script> ENGR & 101"
HOSTILE_ANNOUNCEMENT = "<img src=x onerror=alert(1)> Lab 3 is due Friday"
HOSTILE_LINK_TEXT = "<b>Syllabus</b>"


def wait_for(url: str, deadline: float, processes: list[subprocess.Popen]) -> str:
    while time.monotonic() < deadline:
        for p in processes:
            if p.poll() is not None:
                raise RuntimeError(f"{p.args[0]} exited with {p.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


TRAEFIK_ACCOUNT = "jhc-test-traefik"


@pytest.fixture(scope="module")
def traefik_account():
    """Traefik runs as its own unprivileged user, as on the server, so the test sees whether it can
    read the routes the hub (root) writes."""
    created = subprocess.run(["getent", "passwd", TRAEFIK_ACCOUNT], capture_output=True).returncode != 0
    if created:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        TRAEFIK_ACCOUNT], check=True)
    yield TRAEFIK_ACCOUNT
    if created:
        subprocess.run(["userdel", TRAEFIK_ACCOUNT], check=True)


@pytest.fixture(scope="module")
def hub(traefik_account):
    # Traefik's user must reach its config, binary and routes: not under pytest's root-only tmp.
    root = Path(tempfile.mkdtemp(prefix="classroom-hub-", dir="/tmp"))
    root.chmod(0o755)
    settings = class_settings("github")
    settings["loginPage"].update(title=HOSTILE_TITLE, announcement=HOSTILE_ANNOUNCEMENT,
                                 logoUrl="https://example.edu/logo.png", primaryColor="#8c1d40",
                                 helpLinks=[{"text": HOSTILE_LINK_TEXT, "url": "https://example.edu/syllabus?a=1&b=2"}])
    (root / "class.json").write_text(json.dumps(settings))
    (root / "secrets.json").write_text(json.dumps(class_secrets()))
    web, api, hub_port = free_port(), free_port(), free_port()
    rules = root / "traefik-rules"
    rules.mkdir(mode=0o750)
    shutil.chown(rules, group=traefik_account)
    # The test's own Traefik static config: plain http on loopback, same entry point names as
    # cloud-init/traefik/traefik.yaml.
    (root / "traefik.json").write_text(json.dumps({
        "entryPoints": {"websecure": {"address": f"127.0.0.1:{web}"}, "traefik": {"address": f"127.0.0.1:{api}"}},
        "api": {"dashboard": False},
        "providers": {"file": {"directory": str(rules), "watch": True}},
        "log": {"level": "INFO"},
    }))
    venv_bin = Path(sys.executable).parent
    logs = {name: open(root / f"{name}.log", "w") for name in ("traefik", "hub")}
    shutil.copy(venv_bin / "traefik", root / "traefik")
    traefik = subprocess.Popen(["runuser", "-u", traefik_account, "--", str(root / "traefik"),
                                f"--configFile={root / 'traefik.json'}"],
                               stdout=logs["traefik"], stderr=subprocess.STDOUT)
    # Command-line options override the config file: only addresses and state paths change.
    hub = subprocess.Popen(
        [str(venv_bin / "jupyterhub"), "-f", str(CLOUD_INIT / "jupyterhub_config.py"),
         f"--JupyterHub.hub_bind_url=http://127.0.0.1:{hub_port}",
         f"--JupyterHub.db_url=sqlite:///{root / 'jupyterhub.sqlite'}",
         f"--TraefikFileProviderProxy.traefik_api_url=http://127.0.0.1:{api}",
         f"--TraefikFileProviderProxy.dynamic_config_file={rules / 'rules.toml'}",
         f"--ClassroomTraefikProxy.traefik_group={traefik_account}"],
        cwd=root, stdout=logs["hub"], stderr=subprocess.STDOUT,
        env={"PATH": f"{venv_bin}:/usr/bin:/bin", "PYTHONPATH": str(CLOUD_INIT / "python"),
             "CLASSROOM_SETTINGS": str(root / "class.json"), "CLASSROOM_SECRETS": str(root / "secrets.json")})
    try:
        page = wait_for(f"http://127.0.0.1:{web}/hub/login", time.monotonic() + 90, [traefik, hub])
        # Only once it runs does the hub stop its services when stopped; the culler asks for the
        # users as soon as it starts.
        deadline = time.monotonic() + 60
        while not all(m in (root / "hub.log").read_text() for m in ("JupyterHub is now running", "(idle-culler@")):
            assert time.monotonic() < deadline, "the hub did not finish starting"
            time.sleep(0.5)
        yield {"page": page, "log": lambda: (root / "hub.log").read_text(), "rules": rules / "rules.toml",
               "url": f"http://127.0.0.1:{web}"}
    finally:
        for process in (hub, traefik):
            process.terminate()
            process.wait(timeout=30)
        for log in logs.values():
            log.close()
        shutil.rmtree(root)


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

"""A kubernetes class's hub: the chart values the stack renders, loaded by the chart's own hub
environment (JupyterHub, KubeSpawner, OAuthenticator at the versions of its hub image, from
platforms/kubernetes/requirements/hub.txt in .venv-k8s) for each login provider.

The values come from the real renderer (platforms/kubernetes/renderValues.ts); the probe
(kubernetes_hub_probe.py) mounts hub.extraFiles under a scratch root, runs hub.extraConfig as
the chart does, makes the authenticator and a KubeSpawner, and builds a student's pod manifest.
"""

import json
import os
import subprocess

import pytest
from conftest import REPO

from classroom_hub.usernames import is_valid_hub_name, normalize_login

K8S_PYTHON = REPO / ".venv-k8s" / "bin" / "python"
PROBE = REPO / "test" / "python" / "kubernetes_hub_probe.py"
HUB = "usr/local/etc/jupyterhub/classroom"

_CLASS = {
    "platform": "kubernetes",
    "kubernetesVersion": "1.34.1-do.0",
    "dnsZone": "example.edu",
    "subdomain": "engr101",
    "letsEncryptEmail": "prof@example.edu",
    "oauthClientId": "Iv1.0123456789abcdef",
    "oauthClientSecret": {"secure": "v1:not-read"},
    "courseRepoUrl": "https://github.com/example/engr101-notebooks.git",
    "loginTitle": "ENGR 101",
    "loginPrimaryColor": "#8c1d40",
    "memoryLimit": "4G",
    "cpuLimit": "2",
    "idleTimeoutSeconds": "1800",
    "concurrentSpawnLimit": "30",
    "homeAnnouncement": "Office hours: Tue 14:00",
}
_PROVIDERS = {
    "github": {"authProvider": "github", "allowedUsers": ["ada", "grace"], "adminUsers": ["prof"],
               "teachingAssistants": ["tara"], "githubOrganizations": ["engr101-students"]},
    "google": {"authProvider": "google", "allowedUsers": ["ada@example.edu", "grace@example.edu"],
               "adminUsers": ["prof@example.edu"], "teachingAssistants": ["tara@example.edu"],
               "googleHostedDomains": ["example.edu"]},
    "oidc": {"authProvider": "oidc", "allowedUsers": ["ada@example.edu", "Grace.Hopper@Example.edu"],
             "adminUsers": ["prof@example.edu"], "teachingAssistants": ["tara@example.edu"], "oidcAuthorizeUrl": "https://login.example.edu/authorize",
             "oidcTokenUrl": "https://login.example.edu/token", "oidcUserdataUrl": "https://login.example.edu/userinfo"},
}


def render_values(tmp_path, provider: str, **overrides) -> dict:
    """The chart values of a class, from a stack file (JSON is YAML), by the stack's renderer."""
    config = {**_CLASS, **_PROVIDERS[provider], **overrides}
    stack = tmp_path / "Pulumi.k8s.yaml"
    stack.write_text(json.dumps({"config": {f"jupyterhub-classroom:{k}": v for k, v in config.items()}}))
    out = subprocess.run(["npx", "--no-install", "tsx", "platforms/kubernetes/renderValues.ts", "--config", str(stack)],
                         cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def load_hub(tmp_path, values: dict) -> dict:
    if not K8S_PYTHON.exists():
        pytest.fail("no .venv-k8s: create it as test/python/README.md says (the chart's hub environment)")
    (tmp_path / "values.json").write_text(json.dumps(values))
    root = tmp_path / "pod"
    root.mkdir()
    out = subprocess.run([str(K8S_PYTHON), str(PROBE), str(tmp_path / "values.json"), str(root)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return {**json.loads(out.stdout), "root": root}


@pytest.fixture(scope="module", params=["github", "google", "oidc"])
def hub(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(request.param)
    values = render_values(tmp_path, request.param)
    return request.param, values, load_hub(tmp_path, values)


def test_every_option_is_one_the_chart_hub_knows(hub):
    _provider, _values, loaded = hub
    assert loaded["unrecognized"] == []


def test_the_hub_runs_the_shared_package_and_login_page_from_the_values(hub):
    _provider, _values, loaded = hub
    root = loaded["root"]
    assert loaded["classroom_hub"] == str(root / HUB / "python" / "classroom_hub" / "__init__.py")
    for source in (REPO / "cloud-init" / "python" / "classroom_hub").glob("*.py"):
        assert (root / HUB / "python" / "classroom_hub" / source.name).read_bytes() == source.read_bytes(), source.name
    for page in ("login.html", "home.html"):
        assert (root / HUB / "templates" / page).read_bytes() == (REPO / "cloud-init" / "templates" / page).read_bytes()
    assert loaded["app"]["template_paths"] == [loaded["templates"]] == [str(root / HUB / "templates")]
    assert loaded["app"]["template_vars"] == {"classroom": {
        "title": "ENGR 101", "logo_url": None, "primary_color": "#8c1d40", "announcement": None, "help_links": [],
        "home_announcement": "Office hours: Tue 14:00"}}


def test_login_with_the_client_secret_from_the_kubernetes_secret(hub):
    provider, values, loaded = hub
    auth = loaded["authenticator"]
    assert auth["class"] == {"github": "ClassroomGitHubOAuthenticator", "google": "ClassroomGoogleOAuthenticator",
                             "oidc": "ClassroomGenericOAuthenticator"}[provider]
    assert auth["client_id"] == "Iv1.0123456789abcdef"
    assert auth["client_secret"] == "client-secret-from-the-k8s-secret"
    # The values name the Secret's key, never a secret's value.
    assert values["hub"]["extraEnv"]["OAUTH_CLIENT_SECRET"] == {
        "valueFrom": {"secretKeyRef": {"name": "classroom-hub", "key": "oauth-client-secret"}}}
    assert auth["callback"] == "https://engr101.example.edu/hub/oauth_callback"
    assert auth["allow_existing_users"] is False and auth["allow_all"] is False
    assert auth["admin_users"] == ["prof"]
    expected = {"github": ["ada", "grace"], "google": ["ada", "grace"], "oidc": ["ada", "grace.hopper"]}[provider]
    assert auth["allowed_users"] == sorted([*expected, "tara"])
    if provider == "github":
        assert auth["scope"] == ["read:org"] and auth["roster_emails"] == {}
    else:
        assert auth["roster_emails"]["ada"] == "ada@example.edu"


def test_the_course_staffs_groups_and_roles_after_the_charts_own(hub):
    provider, _values, loaded = hub
    students = {"github": ["ada", "grace"], "google": ["ada", "grace"], "oidc": ["ada", "grace.hopper"]}[provider]
    groups = {"students": students, "course-staff": ["prof", "tara"]}
    assert loaded["app"]["load_groups"] == {name: {"users": members} for name, members in groups.items()}
    assert loaded["authenticator"]["class_groups"] == groups
    assert [role["name"] for role in loaded["app"]["load_roles"]] == ["jupyterhub-idle-culler", "admin", "teaching-assistant"]
    assert loaded["app"]["load_roles"][2]["users"] == ["tara"]


def test_user_names_follow_the_droplets_rules(hub):
    _provider, _values, loaded = hub
    for login, (name, valid) in loaded["authenticator"]["logins"].items():
        assert name == normalize_login(login), login
        assert valid == is_valid_hub_name(name), login
    assert loaded["authenticator"]["logins"]["../x"][1] is False


def test_limits_culler_and_spawn_limit(hub):
    _provider, _values, loaded = hub
    spawner, app = loaded["spawner"], loaded["app"]
    assert (spawner["mem_limit"], spawner["mem_guarantee"]) == (4 * 1024**3, 2 * 1024**3)
    assert (spawner["cpu_limit"], spawner["cpu_guarantee"]) == (2.0, 0.5)
    assert app["concurrent_spawn_limit"] == 30
    assert "--timeout=1800" in app["services"][0]["command"]
    assert spawner["storage_class"] == "do-block-storage-retain" and spawner["storage_capacity"] == "10Gi"
    assert spawner["image"].startswith("quay.io/jupyter/scipy-notebook@sha256:")


def test_the_course_copy_runs_the_droplets_student_copy_in_the_students_home(hub):
    _provider, values, loaded = hub
    pod = loaded["pod"]
    [init] = pod["init_containers"]
    assert init["name"] == "course-copy" and init["security_context"]["runAsUser"] == 1000
    assert init["command"][3:] == ["/opt/jupyterhub-classroom/student_copy.py",
                                   "https://github.com/example/engr101-notebooks.git", "main", "course"]
    assert {m["name"] for m in init["volume_mounts"]} <= set(pod["volumes"])
    assert any(m["mountPath"] == "/home/jovyan" and m["name"] == "home" for m in init["volume_mounts"])
    shipped = values["singleuser"]["extraFiles"]["student-copy"]["stringData"]
    assert shipped == (REPO / "cloud-init" / "python" / "classroom_hub" / "student_copy.py").read_text()


def test_an_idle_timeout_of_zero_runs_no_culler(tmp_path):
    loaded = load_hub(tmp_path, render_values(tmp_path, "github", idleTimeoutSeconds="0"))
    assert loaded["app"]["services"] == [] and loaded["unrecognized"] == []


def test_the_init_containers_command_keeps_the_students_work(tmp_path, hub):
    """The course-copy command exactly as the pod runs it (sh -c, the shipped student_copy.py, the
    values' arguments), against a real repository served over HTTP: the Droplet's rules hold."""
    from git_http import GitHttpServer, Upstream

    _provider, values, loaded = hub
    [init] = loaded["pod"]["init_containers"]
    script = tmp_path / "student_copy.py"
    script.write_text(values["singleuser"]["extraFiles"]["student-copy"]["stringData"])
    upstream = Upstream(tmp_path)
    upstream.commit({"lab1.ipynb": '{"cells": []}\n', "README.md": "Welcome\n"})
    server = GitHttpServer(tmp_path)
    home = tmp_path / "jovyan"
    home.mkdir()
    command = [*init["command"][:3], str(script), server.url(upstream), *init["command"][5:]]
    env = {"PATH": os.environ["PATH"], **{e["name"]: e["value"] for e in init["env"]}, "HOME": str(home)}

    def start_pod():
        return subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=60)

    try:
        assert start_pod().returncode == 0
        course = home / "course"
        assert (course / "README.md").read_text() == "Welcome\n"
        (course / "lab1.ipynb").write_text('{"cells": ["mine"]}\n')
        upstream.commit({"lab1.ipynb": '{"cells": ["v2"]}\n', "lab2.ipynb": "{}\n"})
        assert start_pod().returncode == 0
        assert (course / "lab1.ipynb").read_text() == '{"cells": ["mine"]}\n'
        assert (course / "lab2.ipynb").read_text() == "{}\n"
        assert len(list(course.glob("lab1.upstream-*.ipynb"))) == 1
        # An unreachable repository: logged, and the server starts anyway.
        server.close()
        failed = start_pod()
        assert failed.returncode == 0 and "course copy not updated" in failed.stderr
    finally:
        server.close()

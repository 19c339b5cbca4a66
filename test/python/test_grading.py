"""Assignments with nbgrader on real host accounts: the exchange classroom-apply's own code makes
(classroom_hub/grading.py) and nbgrader's own commands, from the students' environment
(.venv-user, cloud-init/requirements/user.txt), run as the grader and as two students:
release → fetch → submit → collect → autograde → generate_feedback → release_feedback → fetch_feedback.
Along the way, what one student may not do to another's submission and feedback.

Each command gets the test's Jupyter system directory through JUPYTER_CONFIG_PATH (on the server
it is /etc/jupyter, the directory that comes last in jupyter_config_path()).
"""

import contextlib
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import CLOUD_INIT, REPO, class_settings, free_port

from classroom_hub import INSTALL_DIR
from classroom_hub.accounts import ensure_account
from classroom_hub.apply import write_atomically
from classroom_hub.grading import GRADER, GRADER_UID, GradingError, course_directory, exchange_root, prepare_grading

USER_VENV = REPO / ".venv-user"
COURSE = "engr101"
SOLUTION = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n"
TESTS = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"


def cell(source: str, cell_id: str, **nbgrader) -> dict:
    meta = {"grade": False, "solution": False, "locked": False, "task": False, "grade_id": cell_id, "schema_version": 3}
    meta.update(nbgrader)
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "outputs": [], "source": source,
            "metadata": {"nbgrader": meta}}


def source_notebook() -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "cells": [
        cell(SOLUTION, "add", solution=True),
        cell(TESTS, "test_add", grade=True, locked=True, points=2),
    ], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}


class Class:
    """The grading side of a class on this machine: its volume's directories and Jupyter's system directory."""

    def __init__(self, root: Path):
        self.root = root / "grading"
        self.jupyter_etc = root / "jupyter-etc"
        self.homes = root / "home"
        self.homes.mkdir()
        settings = class_settings()
        settings["grading"] = {"courseId": COURSE}
        self.done = prepare_grading(settings, write_atomically, root=self.root, jupyter_etc=self.jupyter_etc)
        self.exchange = exchange_root(self.root)
        self.course = course_directory(COURSE, self.root)

    def command(self, account: str, *command: str, config_path: tuple[Path, ...] = ()) -> list[str]:
        """command as account, in a clean environment; config_path: Jupyter's config directories
        before the system's (the students' environment's, the formgrader's)."""
        entry = pwd.getpwnam(account)
        env = {"HOME": entry.pw_dir, "USER": account, "LOGNAME": account, "PATH": f"{USER_VENV}/bin:/usr/bin:/bin",
               "JUPYTER_CONFIG_PATH": os.pathsep.join(map(str, (*config_path, self.jupyter_etc))), "LANG": "C.UTF-8"}
        return ["runuser", "-u", account, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *command]

    def run(self, account: str, *command: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(self.command(account, *command), cwd=cwd, capture_output=True, text=True, timeout=300)
        if check:
            assert result.returncode == 0, f"{command} as {account}:\n{result.stdout}\n{result.stderr}"
        return result

    def nbgrader(self, account: str, *arguments: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(account, f"{USER_VENV}/bin/nbgrader", *arguments, cwd=cwd, check=check)


def release(c: "Class", assignment: str = "ps1") -> None:
    """The instructor writes the assignment in the course directory (the formgrader's working
    directory) and releases it with nbgrader's commands, as the grader."""
    grader = pwd.getpwnam(GRADER)
    source = c.course / "source" / assignment
    source.mkdir(parents=True)
    (source / f"{assignment}.ipynb").write_text(json.dumps(source_notebook()))
    for path in (c.course / "source", source, source / f"{assignment}.ipynb"):
        os.chown(path, grader.pw_uid, grader.pw_gid)
    c.nbgrader(GRADER, "generate_assignment", assignment, cwd=c.course)
    c.nbgrader(GRADER, "release_assignment", assignment, cwd=c.course)


@pytest.fixture
def grader_account(as_root):
    """Removes the grader account afterwards when the test made it."""
    existed = any(p.pw_name == GRADER for p in pwd.getpwall())
    yield
    if not existed and any(p.pw_name == GRADER for p in pwd.getpwall()):
        subprocess.run(["userdel", "--", GRADER], check=True)


@pytest.fixture
def graded_class(world_dir, accounts, grader_account):
    if not (USER_VENV / "bin" / "nbgrader").exists():
        pytest.fail(f"{USER_VENV} is missing: uv venv -p /usr/bin/python3.11 .venv-user && uv pip install -p "
                    ".venv-user/bin/python --require-hashes --no-deps -r cloud-init/requirements/user.txt")
    return Class(world_dir)


def mode_and_owner(path: Path) -> tuple[str, str]:
    st = path.lstat()
    return oct(stat.S_IMODE(st.st_mode)), pwd.getpwuid(st.st_uid).pw_name


def test_the_exchange_has_nbgraders_modes_and_nothing_more(graded_class):
    c = graded_class
    assert pwd.getpwnam(GRADER).pw_uid == GRADER_UID
    assert mode_and_owner(c.root) == ("0o755", "root")
    assert mode_and_owner(c.exchange) == ("0o1777", "root")
    assert mode_and_owner(c.exchange / COURSE) == ("0o755", GRADER)
    assert mode_and_owner(c.exchange / COURSE / "outbound") == ("0o755", GRADER)
    assert mode_and_owner(c.exchange / COURSE / "inbound") == ("0o2733", GRADER)
    assert mode_and_owner(c.exchange / COURSE / "feedback") == ("0o711", GRADER)
    assert mode_and_owner(c.root / GRADER) == ("0o700", GRADER)
    assert json.loads((c.jupyter_etc / "nbgrader_config.json").read_text()) == {
        "CourseDirectory": {"course_id": COURSE}, "Exchange": {"root": str(c.exchange)}}
    assert json.loads((c.jupyter_etc / "labconfig" / "page_config.json").read_text()) == {"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True}}
    # A second run changes nothing and repairs a mode gone wrong.
    (c.exchange / COURSE / "inbound").chmod(0o777)
    settings = class_settings()
    settings["grading"] = {"courseId": COURSE}
    prepare_grading(settings, write_atomically, root=c.root, jupyter_etc=c.jupyter_etc)
    assert mode_and_owner(c.exchange / COURSE / "inbound") == ("0o2733", GRADER)


def test_a_course_directory_a_student_made_first_in_the_exchange_is_refused(graded_class):
    c = graded_class
    ada = ensure_account("jupyter-grading-ada", c.homes)
    planted = c.exchange / "engr102"
    c.run(ada.pw_name, "mkdir", "-p", str(planted / "outbound" / "ps1"), cwd=c.homes)
    c.run(ada.pw_name, "ln", "-s", str(c.homes / ada.pw_name), str(c.exchange / "engr103"), cwd=c.homes)
    for course, says in (("engr102", f"{planted} belongs to uid {ada.pw_uid}"), ("engr103", "is not a directory")):
        settings = class_settings()
        settings["grading"] = {"courseId": course}
        with pytest.raises(GradingError, match=says):
            prepare_grading(settings, write_atomically, root=c.root, jupyter_etc=c.jupyter_etc)
    assert mode_and_owner(planted)[1] == ada.pw_name


def test_turning_grading_off_keeps_the_gradebook_and_hides_nbgrader(graded_class):
    c = graded_class
    (c.course / "gradebook.db").write_text("grades")
    prepare_grading(class_settings(), write_atomically, root=c.root, jupyter_etc=c.jupyter_etc)
    assert not (c.jupyter_etc / "nbgrader_config.json").exists()
    assert json.loads((c.jupyter_etc / "labconfig" / "page_config.json").read_text()) == {
        "disabledExtensions": {"@jupyter/nbgrader": True}}
    assert (c.course / "gradebook.db").read_text() == "grades"


def test_release_fetch_submit_collect_autograde_feedback_and_no_student_reads_another(graded_class):
    c = graded_class
    ada = ensure_account("jupyter-grading-ada", c.homes).pw_name
    bob = ensure_account("jupyter-grading-bob", c.homes).pw_name
    ada_home, bob_home = c.homes / ada, c.homes / bob

    release(c)
    assert "ps1" in c.nbgrader(ada, "list", cwd=ada_home).stdout + c.nbgrader(ada, "list", cwd=ada_home).stderr

    # Each student fetches it; ada solves it, bob hands in the blank copy.
    for student, home in ((ada, ada_home), (bob, bob_home)):
        c.nbgrader(student, "fetch_assignment", "ps1", cwd=home)
    fetched = ada_home / "ps1" / "ps1.ipynb"
    notebook = json.loads(fetched.read_text())
    assert "raise NotImplementedError" in "".join(notebook["cells"][0]["source"])
    notebook["cells"][0]["source"] = "def add(a, b):\n    return a + b\n"
    fetched.write_text(json.dumps(notebook))
    for student, home in ((ada, ada_home), (bob, bob_home)):
        c.nbgrader(student, "submit", "ps1", cwd=home)

    # Submissions are write-only for students: bob can neither list the inbound directory nor
    # change the course's exchange; ada's copy in her home (nbgrader's cache) is hers alone.
    inbound = c.exchange / COURSE / "inbound"
    assert len(os.listdir(inbound)) == 2
    for attempt in (f"ls {inbound}", f"ls {c.exchange / COURSE / 'feedback'}", f"touch {c.exchange / COURSE / 'outbound' / 'x'}",
                    f"touch {c.exchange / COURSE / 'x'}", f"mv {c.exchange / COURSE} {c.exchange / 'stolen'}",
                    f"ls {ada_home}", f"ls {c.root / GRADER}"):
        result = c.run(bob, "sh", "-c", attempt, cwd=bob_home, check=False)
        # The sticky exchange root refuses the rename with EPERM, the modes the rest with EACCES.
        refused = "Permission denied" in result.stderr or "Operation not permitted" in result.stderr
        assert result.returncode != 0 and refused, (attempt, result.stdout, result.stderr)

    # The instructor collects, autogrades and returns feedback.
    c.nbgrader(GRADER, "collect", "ps1", cwd=c.course)
    assert sorted(os.listdir(c.course / "submitted")) == [ada, bob]
    c.nbgrader(GRADER, "autograde", "ps1", cwd=c.course)
    scores = c.run(GRADER, f"{USER_VENV}/bin/python", "-c", (
        "from nbgrader.api import Gradebook\n"
        "with Gradebook('sqlite:///gradebook.db') as gb:\n"
        "    print({s.student.id: s.score for s in gb.assignment_submissions('ps1')})\n"), cwd=c.course).stdout
    assert scores.strip() == repr({ada: 2.0, bob: 0.0}) or scores.strip() == repr({bob: 0.0, ada: 2.0}), scores
    c.nbgrader(GRADER, "generate_feedback", "ps1", cwd=c.course)
    c.nbgrader(GRADER, "release_feedback", "ps1", cwd=c.course)

    # Each student fetches their own feedback, and only that.
    for student, home, score in ((ada, ada_home, "2.0"), (bob, bob_home, "0.0")):
        c.nbgrader(student, "fetch_feedback", "ps1", cwd=home)
        [feedback] = (home / "ps1" / "feedback").glob("*/ps1.html")
        assert f"Score: {score} / 2.0" in feedback.read_text() or f"{score} / 2.0" in feedback.read_text()
        assert feedback.stat().st_uid == pwd.getpwnam(student).pw_uid


class JupyterServer:
    """A real Jupyter server from the students' environment, as one account, with the Jupyter config
    directories the server has: the students' environment's own (etc/jupyter, with
    cloud-init/jupyter/jupyter_server_config.py as install.sh puts it), the formgrader's before it
    for the grader, and the system's (/etc/jupyter, here the test's) last."""

    TOKEN = "grading-test-token"

    def __init__(self, c: Class, account: str, root: Path, cwd: Path, logs: Path, formgrader: bool = False):
        venv_etc = logs / "venv-etc"
        if not venv_etc.exists():
            venv_etc.mkdir()
            shutil.copy(CLOUD_INIT / "jupyter" / "jupyter_server_config.py", venv_etc)
        config_path = ((INSTALL_DIR / "jupyter" / "grader",) if formgrader else ()) + (venv_etc,)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = logs / f"{account}-{time.monotonic_ns()}.log"
        command = c.command(account, f"{USER_VENV}/bin/jupyter", "server", "--no-browser", f"--port={self.url.rsplit(':', 1)[1]}",
                            "--ip=127.0.0.1", f"--ServerApp.token={self.TOKEN}", f"--ServerApp.root_dir={root}", config_path=config_path)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while self.get("/api/status")[0] != 200:
            assert self.process.poll() is None and time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.5)

    def get(self, path: str, form: dict | None = None) -> tuple[int, str]:
        """GET path, or POST the form to it."""
        return _request(f"{self.url}{path}", self.TOKEN, form)

    def disabled_lab_plugins(self) -> list[str]:
        """nbgrader's JupyterLab plugins the page tells JupyterLab not to load."""
        status, page = self.get("/lab")
        assert status == 200, self.log.read_text()
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S).group(1))
        return sorted(name for name in config["disabledExtensions"] if name.startswith("@jupyter/nbgrader"))

    def stop(self) -> None:
        subprocess.run(["pkill", "-TERM", "-P", str(self.process.pid)], check=False)
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def servers(graded_class, world_dir):
    logs = world_dir / "logs"
    logs.mkdir()
    started: list[JupyterServer] = []

    def start(*args, **kwargs) -> JupyterServer:
        started.append(JupyterServer(graded_class, *args, logs=logs, **kwargs))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_students_get_the_assignments_list_the_formgrader_gets_the_formgrader(graded_class, servers):
    c = graded_class
    ada = ensure_account("jupyter-grading-ada", c.homes)
    release(c)
    student = servers(ada.pw_name, Path(ada.pw_dir), cwd=Path(ada.pw_dir))
    assert student.get("/formgrader")[0] == 404
    # What the Assignments tab asks its server: the course, the released assignment; fetch, submit.
    assert json.loads(student.get("/courses")[1]) == {"success": True, "value": [COURSE]}
    listed = json.loads(student.get(f"/assignments?course_id={COURSE}")[1])
    assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [("ps1", "released")], listed
    fetched = json.loads(student.get("/assignments/fetch", {"course_id": COURSE, "assignment_id": "ps1"})[1])
    assert [(a["assignment_id"], a["status"]) for a in fetched["value"]] == [("ps1", "fetched")], fetched
    assert (Path(ada.pw_dir) / "ps1" / "ps1.ipynb").stat().st_uid == ada.pw_uid
    submitted = json.loads(student.get("/assignments/submit", {"course_id": COURSE, "assignment_id": "ps1"})[1])
    assert submitted["success"], submitted
    assert [name.split("+")[:2] for name in os.listdir(c.exchange / COURSE / "inbound")] == [[ada.pw_name, "ps1"]]
    assert student.disabled_lab_plugins() == [
        "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader"]
    student.stop()

    grader = servers(GRADER, c.root / GRADER, cwd=c.course, formgrader=True)
    status, page = grader.get("/formgrader")
    assert status == 200 and "Manage Assignments" in page, grader.log.read_text()
    assert grader.get("/assignments?course_id=engr101")[0] == 404
    assert grader.disabled_lab_plugins() == ["@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list"]
    grader.stop()

    # Grading off: no nbgrader at all in a student's server.
    prepare_grading(class_settings(), write_atomically, root=c.root, jupyter_etc=c.jupyter_etc)
    student = servers(ada.pw_name, Path(ada.pw_dir), cwd=Path(ada.pw_dir))
    assert student.get("/assignments?course_id=engr101")[0] == 404
    assert student.disabled_lab_plugins() == ["@jupyter/nbgrader"]


HUB_CONFIG = """
import json, os
from pathlib import Path
from classroom_hub.services import formgrader
options = json.loads(os.environ["GRADING_TEST"])
c = get_config()
c.JupyterHub.bind_url = options["url"]
c.JupyterHub.hub_bind_url = options["hub_url"]
c.JupyterHub.db_url = "sqlite:///" + options["db"]
c.JupyterHub.proxy_class = "traefik_file"
c.TraefikFileProviderProxy.should_start = True
c.TraefikFileProviderProxy.traefik_api_url = options["traefik_api"]
c.TraefikFileProviderProxy.traefik_api_username = "jupyterhub"
c.TraefikFileProviderProxy.traefik_api_password = "grading-test-traefik-password"
c.TraefikFileProviderProxy.static_config_file = options["root"] + "/traefik.toml"
c.TraefikFileProviderProxy.dynamic_config_file = options["root"] + "/rules.toml"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {"ta", "student"}
c.JupyterHub.load_groups = {"course-staff": {"users": ["ta"]}}
# The hub's own formgrader service, as services.py declares it, with the test's Jupyter directories.
service, role = formgrader("engr101", options["user_venv"], root=Path(options["grading"]))
service["environment"]["JUPYTER_CONFIG_PATH"] += os.pathsep + options["config_path"]
# The hub unit's private /tmp is the test's own here.
service["environment"]["JUPYTER_RUNTIME_DIR"] = options["root"] + "/tmp/jupyterhub-grader-runtime"
c.JupyterHub.services = [service, {"name": "tester", "api_token": options["token"]}]
c.JupyterHub.load_roles = [role, {"name": "tester", "services": ["tester"], "scopes": ["tokens", "list:users"]}]
"""


def test_the_hub_runs_the_formgrader_as_the_grader_for_the_course_staff_only(graded_class, world_dir):
    """A real JupyterHub (and Traefik) with the formgrader service and role of services.py: it starts
    as the grader in the course directory, a teaching assistant in course-staff gets the formgrader,
    a student gets 403."""
    c = graded_class
    venv_etc = world_dir / "venv-etc"
    venv_etc.mkdir()
    shutil.copy(CLOUD_INIT / "jupyter" / "jupyter_server_config.py", venv_etc)
    token = "grading-test-service-token-0123456789"
    web, api, hub_port = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{web}"
    (world_dir / "jupyterhub_config.py").write_text(HUB_CONFIG)
    (world_dir / "tmp").mkdir()
    (world_dir / "tmp").chmod(0o1777)
    options = {"url": url, "hub_url": f"http://127.0.0.1:{hub_port}", "db": str(world_dir / "hub.sqlite"),
               "traefik_api": f"http://127.0.0.1:{api}", "root": str(world_dir), "user_venv": str(USER_VENV),
               "grading": str(c.root), "config_path": os.pathsep.join([str(venv_etc), str(c.jupyter_etc)]), "token": token}
    venv_bin = Path(sys.executable).parent
    log = (world_dir / "hub.log").open("w")
    hub = subprocess.Popen([str(venv_bin / "jupyterhub"), "-f", str(world_dir / "jupyterhub_config.py")], cwd=world_dir,
                           stdout=log, stderr=subprocess.STDOUT,
                           env={"PATH": f"{venv_bin}:/usr/bin:/bin", "PYTHONPATH": str(INSTALL_DIR / "python"),
                                "GRADING_TEST": json.dumps(options)})

    def get(path: str, credential: str) -> tuple[int, str]:
        return _request(f"{url}{path}", credential)

    def user_token(name: str) -> str:
        request = urllib.request.Request(f"{url}/hub/api/users/{name}/tokens", data=b"{}", method="POST",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["token"]

    try:
        deadline = time.monotonic() + 180
        while get("/services/formgrader/api/status", token)[0] in (0, 404, 503):
            assert hub.poll() is None and time.monotonic() < deadline, (world_dir / "hub.log").read_text()
            time.sleep(1)
        ta, student = user_token("ta"), user_token("student")
        status, page = get("/services/formgrader/formgrader", ta)
        assert status == 200 and "Manage Assignments" in page, (status, (world_dir / "hub.log").read_text())
        assert get("/services/formgrader/formgrader", student)[0] == 403
        # The service runs as the grader, in the course directory.
        # This hub's own child: a booted e2e server on this machine runs a grader of the same uid.
        [process] = [p for p in Path("/proc").glob("[0-9]*") if p.stat().st_uid == GRADER_UID
                     and b"jupyterhub-singleuser" in (p / "cmdline").read_bytes() and _descends_from(p, hub.pid)]
        assert os.readlink(process / "cwd") == str(c.course)
        # Its runtime files (with its own token) are off the volume; nothing of the course changed.
        assert list((world_dir / "tmp" / "jupyterhub-grader-runtime").glob("jpserver-*.json"))
        assert not (c.root / GRADER / ".local" / "share" / "jupyter" / "runtime").exists()
    finally:
        hub.terminate()
        hub.wait(timeout=60)
        log.close()
        # On the server systemd ends the hub's services with its unit; here the hub's own shutdown
        # may leave the formgrader and the Traefik it started: end what runs from this test's directory.
        for pid in processes_mentioning(world_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 15)
        deadline = time.monotonic() + 30
        while processes_mentioning(world_dir):
            assert time.monotonic() < deadline, "processes of the test's hub are still running"
            time.sleep(0.5)


def processes_mentioning(path: Path) -> list[int]:
    pids = []
    for process in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if str(path).encode() in (process / "cmdline").read_bytes():
                pids.append(int(process.name))
    return pids


def _descends_from(process: Path, ancestor: int) -> bool:
    """Whether the process (a /proc entry) is the ancestor's child, grandchild, ..."""
    pid = int(process.name)
    while pid > 1:
        # The parent's pid is the field after the command's closing parenthesis and the state.
        pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        if pid == ancestor:
            return True
    return False


def _request(url: str, token: str, form: dict | None = None) -> tuple[int, str]:
    """GET the URL, or POST the form to it, with the token: the status and body (0 while nothing answers)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except OSError:
        return 0, ""

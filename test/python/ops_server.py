"""A throwaway server for the operations tests, and what they put on it.

The server is a mount and network namespace (test/ops-namespace.sh): the scripts under test run
at their real paths (/usr/local/lib/jupyterhub-classroom, /srv/classroom/home, …), accounts made
with useradd exist only inside it, and its loopback is its own, so a test server can take port 443.
"""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLOUD_INIT = REPO / "cloud-init"
NAMESPACE = REPO / "test" / "ops-namespace.sh"
LIB = "/usr/local/lib/jupyterhub-classroom"
HUB_VENV = "/opt/jupyterhub-classroom/hub"
DATABASE = "/var/lib/jupyterhub/jupyterhub.sqlite"
FAKE_SYSTEMD = Path(__file__).resolve().parent / "fake_systemd"


class Server:
    def __init__(self, directory: Path):
        directory.mkdir()
        self.directory = directory
        self.pid = subprocess.run([NAMESPACE, "start", directory], check=True, capture_output=True,
                                  text=True).stdout.strip()
        self.background: list[subprocess.Popen] = []

    def run(self, *argv, check: bool = True, input: str | bytes | None = None) -> subprocess.CompletedProcess:
        """Runs argv inside as root; the result's stdout and stderr are text unless input is bytes."""
        result = subprocess.run([NAMESPACE, "run", self.pid, *map(str, argv)], input=input, capture_output=True,
                                text=not isinstance(input, bytes), timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, argv))} exited {result.returncode}:\n{result.stderr}")
        return result

    def start(self, *argv) -> subprocess.Popen:
        process = subprocess.Popen([NAMESPACE, "run", self.pid, *map(str, argv)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.background.append(process)
        return process

    def write(self, path: str, content: str | bytes, mode: str = "0644") -> None:
        data = content.encode() if isinstance(content, str) else content
        self.run("install", "-D", "-m", mode, "/dev/stdin", path, input=data)

    def read(self, path: str) -> str:
        return self.run("cat", path).stdout

    def install_operations(self) -> None:
        """The server's code as user-data installs it: scripts, Python packages and schemas in LIB."""
        self.run("mkdir", "-p", f"{LIB}/python")
        for package in ("classroom_ops", "classroom_hub"):
            self.run("cp", "-r", CLOUD_INIT / "python" / package, f"{LIB}/python/")
        self.run("cp", "-r", CLOUD_INIT / "schema", f"{LIB}/")
        for script in sorted(CLOUD_INIT.glob("classroom-*")):
            self.run("install", "-m", "0755", script, f"{LIB}/{script.name}")

    def host_path(self, path: str) -> Path:
        """Where a file the server wrote lies on this machine (only files new inside the server)."""
        return self.directory / "upper" / path.lstrip("/")

    def fake_systemd(self, **states: str) -> None:
        """systemctl and journalctl stand-ins (no systemd here); states: {"traefik": "active", …}."""
        for tool in ("systemctl", "journalctl"):
            self.run("install", "-m", "0755", FAKE_SYSTEMD / tool, f"/usr/local/bin/{tool}")
        for unit, state in states.items():
            self.write(f"/run/fake-systemd/{unit}.service", f"{state}\n")

    def python(self, code: str) -> str:
        """Runs code inside with the tests' interpreter, which has JupyterHub; returns its output."""
        return self.run(sys.executable, "-c", textwrap.dedent(code)).stdout

    def make_hub_environment(self) -> None:
        """/opt/jupyterhub-classroom/hub as install.sh leaves it, with pip, and the tests' JupyterHub
        (seen through a .pth file, installed offline) in place of the lock's; the hub's config file."""
        self.run(sys.executable, "-m", "venv", HUB_VENV)
        self.run("install", "-d", "-m", "0700", "/var/lib/jupyterhub")
        purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
        tests_site = self.python(purelib).strip()
        hub_site = self.run(f"{HUB_VENV}/bin/python", "-c", purelib).stdout.strip()
        self.write(f"{hub_site}/tests-jupyterhub.pth", tests_site + "\n")
        # The console script pip would make: JupyterHub's upgrade-db runs `alembic` from PATH.
        self.write(f"{HUB_VENV}/bin/alembic", f"#!{HUB_VENV}/bin/python\nfrom alembic.config import main\nmain()\n", "0755")
        self.write("/etc/jupyterhub-classroom/jupyterhub_config.py", f'c.JupyterHub.db_url = "sqlite:///{DATABASE}"\n')

    def make_database(self, *users: str) -> None:
        self.python(f"""
            from jupyterhub import orm
            db = orm.new_session_factory("sqlite:///{DATABASE}")()
            db.add_all([orm.User(name=name) for name in {list(users)!r}])
            db.commit()
        """)

    def database_users(self, path: str = DATABASE) -> list[str]:
        return json.loads(self.python(f"""
            import json, sqlite3
            rows = sqlite3.connect("{path}").execute("select name from users order by name")
            print(json.dumps([name for name, in rows]))
        """))

    def systemctl_calls(self) -> list[str]:
        return self.run("sh", "-c", "cat /run/fake-systemd/calls 2>/dev/null || true").stdout.splitlines()

    def close(self) -> None:
        for process in self.background:
            process.kill()
            process.wait()
        subprocess.run([NAMESPACE, "stop", self.pid], check=True)


class Servers:
    """Makes servers, as many as a test needs (an old and a new Droplet), and ends them all."""

    def __init__(self, directory: Path):
        if shutil.which("unshare") is None or shutil.which("nsenter") is None:
            pytest.fail("the operations tests need unshare and nsenter (util-linux) and root")
        self.directory = directory
        self.made: list[Server] = []

    def __call__(self) -> Server:
        self.made.append(Server(self.directory / f"server-{len(self.made)}"))
        return self.made[-1]

    def close(self) -> None:
        for server in self.made:
            server.close()


@pytest.fixture
def make_server(tmp_path):
    servers = Servers(tmp_path)
    yield servers
    servers.close()


@pytest.fixture
def server(make_server):
    return make_server()

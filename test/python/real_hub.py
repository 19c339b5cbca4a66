"""A real hub from cloud-init/jupyterhub_config.py behind a real Traefik, both on loopback, as the
tests that talk to a running hub start it. Traefik runs as its own unprivileged user (as on the
server) so the tests see whether it can read the routes the hub (root) writes.

`config` may be another config file that loads cloud-init's with `load_subconfig` and changes what
a test cannot have here (the spawner: no systemd on the test machine). stop() and start() again
restart the hub on the same database, as classroom-apply does.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from conftest import CLOUD_INIT, class_secrets, free_port

CONFIG = CLOUD_INIT / "jupyterhub_config.py"
TRAEFIK_ACCOUNT = "jhc-test-traefik"


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


def traefik_account():
    """Creates Traefik's account if missing; yields it; removes it if it made it (a fixture body)."""
    created = subprocess.run(["getent", "passwd", TRAEFIK_ACCOUNT], capture_output=True).returncode != 0
    if created:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        TRAEFIK_ACCOUNT], check=True)
    yield TRAEFIK_ACCOUNT
    if created:
        subprocess.run(["userdel", TRAEFIK_ACCOUNT], check=True)


class RealHub:
    def __init__(self, settings: dict, traefik_user: str, config: Path | None = CONFIG):
        # Traefik's user must reach its config, binary and routes: not under pytest's root-only tmp.
        self.root = Path(tempfile.mkdtemp(prefix="classroom-hub-", dir="/tmp"))
        self.root.chmod(0o755)
        self.config, self.traefik_user = config, traefik_user
        self.write_settings(settings)
        (self.root / "secrets.json").write_text(json.dumps(class_secrets()))
        web, self.api_port, self.hub_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{web}"
        self.rules = self.root / "traefik-rules"
        self.rules.mkdir(mode=0o750)
        shutil.chown(self.rules, group=traefik_user)
        # The test's own Traefik static config: plain http on loopback, same entry point names as
        # cloud-init/traefik/traefik.yaml.
        (self.root / "traefik.json").write_text(json.dumps({
            "entryPoints": {"websecure": {"address": f"127.0.0.1:{web}"}, "traefik": {"address": f"127.0.0.1:{self.api_port}"}},
            "api": {"dashboard": False},
            "providers": {"file": {"directory": str(self.rules), "watch": True}},
            "log": {"level": "INFO"},
        }))
        self.venv_bin = Path(sys.executable).parent
        shutil.copy(self.venv_bin / "traefik", self.root / "traefik")
        self.traefik_log = open(self.root / "traefik.log", "w")
        self.traefik = subprocess.Popen(["runuser", "-u", traefik_user, "--", str(self.root / "traefik"),
                                         f"--configFile={self.root / 'traefik.json'}"],
                                        stdout=self.traefik_log, stderr=subprocess.STDOUT)
        self.hub = None

    def write_settings(self, settings: dict) -> None:
        (self.root / "class.json").write_text(json.dumps(settings))

    def log(self) -> str:
        return (self.root / "hub.log").read_text()

    def start(self, ready: tuple[str, ...] = ("JupyterHub is now running",)) -> str:
        """Starts the hub; returns the login page once Traefik serves it and the log shows `ready`."""
        with open(self.root / "hub.log", "a") as log:
            # Command-line options override the config file: only addresses and state paths change.
            self.hub = subprocess.Popen(
                [str(self.venv_bin / "jupyterhub"), "-f", str(self.config),
                 f"--JupyterHub.hub_bind_url=http://127.0.0.1:{self.hub_port}",
                 f"--JupyterHub.db_url=sqlite:///{self.root / 'jupyterhub.sqlite'}",
                 f"--TraefikFileProviderProxy.traefik_api_url=http://127.0.0.1:{self.api_port}",
                 f"--TraefikFileProviderProxy.dynamic_config_file={self.rules / 'rules.toml'}",
                 f"--ClassroomTraefikProxy.traefik_group={self.traefik_user}"],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                env={"PATH": f"{self.venv_bin}:/usr/bin:/bin", "PYTHONPATH": str(CLOUD_INIT / "python"),
                     "CLASSROOM_SETTINGS": str(self.root / "class.json"),
                     "CLASSROOM_SECRETS": str(self.root / "secrets.json")})
        starts = self.log().count("JupyterHub is now running")
        page = wait_for(f"{self.url}/hub/login", time.monotonic() + 90, [self.traefik, self.hub])
        deadline = time.monotonic() + 60
        while self.log().count("JupyterHub is now running") <= starts or not all(m in self.log() for m in ready):
            assert time.monotonic() < deadline, "the hub did not finish starting"
            assert self.hub.poll() is None, f"the hub exited:\n{self.log()[-3000:]}"
            time.sleep(0.5)
        return page

    def stop(self) -> None:
        if self.hub is not None:
            self.hub.terminate()
            self.hub.wait(timeout=30)
            self.hub = None

    def close(self) -> None:
        self.stop()
        self.traefik.terminate()
        self.traefik.wait(timeout=30)
        self.traefik_log.close()
        shutil.rmtree(self.root)

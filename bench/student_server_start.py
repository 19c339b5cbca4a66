"""What a student's server costs to start, and what each server extension adds: starts Jupyter Server
from a students' environment several times per variant and prints CPU seconds and wall time from exec
until /api/status answers. A measurement, not a test.

    <venv>/bin/python bench/student_server_start.py [--runs 3] [--config-dir DIR]

--config-dir: a directory of jupyter_server_config.* files applied on top (as the venv's etc/jupyter
would be), to compare a configuration with the defaults.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def one_start(disabled: str | None, env: dict[str, str]) -> tuple[float, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        if disabled:
            # Searched first: turns one extension off over the environment's own config.
            with open(f"{home}/jupyter_server_config.json", "w") as config:
                json.dump({"ServerApp": {"jpserver_extensions": {disabled: False}}}, config)
            env = {**env, "JUPYTER_CONFIG_PATH": os.pathsep.join(filter(None, [home, env.get("JUPYTER_CONFIG_PATH")]))}
        started = time.monotonic()
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--IdentityProvider.token=", "--allow-root",
             f"--ServerApp.root_dir={home}"],
            env={**env, "HOME": home}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=1).read()
                    break
                except OSError:
                    if server.poll() is not None:
                        raise RuntimeError(f"the server exited {server.returncode}") from None
                    time.sleep(0.02)
            return cpu_seconds(server.pid), time.monotonic() - started
        finally:
            server.terminate()
            server.wait()


def enabled_extensions(env: dict[str, str]) -> list[str]:
    # As the server decides: its config files (.py and .json) over the extensions' own enabling files.
    code = ("import json; from jupyter_server.serverapp import ServerApp; app = ServerApp(); app.load_config_file();"
            "app.find_server_extensions(); print(json.dumps(sorted(n for n, on in app.jpserver_extensions.items() if on)))")
    return json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--config-dir", help="extra Jupyter config directory, searched first")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    if args.config_dir:
        env["JUPYTER_CONFIG_PATH"] = args.config_dir
    extensions = enabled_extensions(env)
    variants = [("as configured", None)] + [(f"without {name}", name) for name in extensions]
    print(f"{sys.executable}: {args.runs} starts per row, medians\n")
    print("| variant | CPU s | wall s |\n|---|---|---|")
    for label, extra in variants:
        samples = [one_start(extra, env) for _ in range(args.runs)]
        cpu = statistics.median(s[0] for s in samples)
        wall = statistics.median(s[1] for s in samples)
        print(f"| {label} | {cpu:.2f} | {wall:.2f} |", flush=True)


if __name__ == "__main__":
    main()

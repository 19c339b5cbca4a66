"""Test upstreams: real bare repositories served over smart HTTP by `git http-backend` on loopback.

The server counts fetches (each starts with GET info/refs?service=git-upload-pack) and can require
an Authorization header, the way a private GitHub repository requires a token.
"""

import base64
import os
import socket
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Instructor", "GIT_AUTHOR_EMAIL": "prof@example.edu",
                "GIT_COMMITTER_NAME": "Instructor", "GIT_COMMITTER_EMAIL": "prof@example.edu"}


class Upstream:
    """A course repository: a bare repository plus a work tree the instructor commits from."""

    def __init__(self, root: Path, name: str = "course", branch: str = "main"):
        self.bare = root / f"{name}.git"
        self.work = root / f"{name}-work"
        self.branch = branch
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", branch, str(self.bare)], check=True)
        subprocess.run(["git", "init", "--quiet", "-b", branch, str(self.work)], check=True)

    def commit(self, files: dict[str, str | None], message: str = "course update") -> str:
        """Writes (or with None deletes) files, commits and pushes; returns the commit id."""
        for path, text in files.items():
            target = self.work / path
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        env = {**os.environ, **GIT_IDENTITY}
        git = ["git", "-C", str(self.work)]
        subprocess.run([*git, "add", "--all"], check=True, env=env)
        subprocess.run([*git, "commit", "--quiet", "-m", message], check=True, env=env)
        subprocess.run([*git, "push", "--quiet", str(self.bare), f"HEAD:refs/heads/{self.branch}"], check=True, env=env)
        return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


class GitHttpServer:
    def __init__(self, root: Path, token: str | None = None):
        self.root = root
        self.fetches: Counter[str] = Counter()
        self.refused = 0
        expected = "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode() if token else None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self._serve()

            def do_POST(self):
                self._serve()

            def _serve(self):
                path, _, query = self.path.partition("?")
                if expected and self.headers.get("Authorization") != expected:
                    server.refused += 1
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="course"')
                    self.end_headers()
                    return
                if path.endswith("/info/refs") and query == "service=git-upload-pack":
                    server.fetches[path.removesuffix("/info/refs").strip("/")] += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {"PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(server.root), "GIT_HTTP_EXPORT_ALL": "1",
                       "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
                       "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                       "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                       "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "REMOTE_ADDR": "127.0.0.1"}
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if line)
                self.send_response(int(headers.pop("Status", "200").split()[0]))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def url(self, upstream: Upstream) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/{upstream.bare.name}"

    def close(self):
        self._http.shutdown()
        self._http.server_close()


class SilentServer:
    """Accepts connections and never answers: a repository host that hangs."""

    def __init__(self):
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/course.git"

    def close(self):
        self._socket.close()

"""Brings a running server up to date with newly rendered user-data, in place of a new Droplet.

cloud-init reads user-data only at the first boot, and the Droplet ignores later changes to it,
so HubSync (components/hubSync.ts) sends the new user-data on stdin over SSH. This writes every
write_files entry that differs, puts the admin's SSH keys in place, starts Traefik's certificates
afresh if their ACME CA changed, runs install.sh (idempotent; it upgrades the Python environments
through classroom-upgrade-env) and, when anything changed, restarts Traefik and the hub so they
read it. User-data holds no secrets.
"""

import argparse
import base64
import gzip
import grp
import json
import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import yaml

from . import layout
from .hubdb import utc_stamp

BASE64 = {"b64", "base64", "gz+b64", "gzip+b64", "gz+base64", "gzip+base64"}
GZIP = {"gz", "gzip", "gz+b64", "gzip+b64", "gz+base64", "gzip+base64"}
PLAIN = {"", "text/plain"}


class SyncError(Exception):
    pass


def decode(entry: dict) -> bytes:
    """The bytes cloud-init would write for this write_files entry."""
    content = entry.get("content", "")
    data = content.encode() if isinstance(content, str) else bytes(content)
    encoding = str(entry.get("encoding", "")).strip().lower()
    if encoding not in BASE64 | GZIP | PLAIN:
        raise SyncError(f"{entry['path']}: unknown write_files encoding {encoding!r}")
    if encoding in BASE64:
        data = base64.b64decode(data)
    if encoding in GZIP:
        data = gzip.decompress(data)
    return data


def ownership(owner: str) -> tuple[int, int]:
    user, _, group = owner.partition(":")
    account = pwd.getpwnam(user)
    return account.pw_uid, grp.getgrnam(group).gr_gid if group else account.pw_gid


def put(path: Path, data: bytes, mode: int, uid: int, gid: int) -> bool:
    """Writes path atomically (a reader sees the old file or the new one); False if it was already so."""
    try:
        current = path.lstat()
        if path.is_file() and not path.is_symlink() and (current.st_mode & 0o7777, current.st_uid, current.st_gid) \
                == (mode, uid, gid) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def write_files(entries: list[dict]) -> list[str]:
    changed = []
    for entry in entries:
        if entry.get("append"):
            raise SyncError(f"{entry['path']}: an append entry cannot be written again without repeating it")
        path = Path(entry["path"])
        if not path.is_absolute():
            raise SyncError(f"{path}: write_files paths must be absolute")
        permissions = entry.get("permissions", "0644")
        mode = permissions if isinstance(permissions, int) else int(str(permissions), 8)
        if put(path, decode(entry), mode, *ownership(entry.get("owner", "root:root"))):
            changed.append(str(path))
    return changed


def authorize_keys(users: list) -> list[str]:
    """Each existing user's ~/.ssh/authorized_keys, exactly the keys user-data gives it."""
    changed = []
    for user in users:
        if not isinstance(user, dict) or "ssh_authorized_keys" not in user:
            continue
        try:
            account = pwd.getpwnam(user["name"])
        except KeyError:
            raise SyncError(f"user {user['name']} does not exist here; a new admin user needs a new Droplet") from None
        ssh = Path(account.pw_dir) / ".ssh"
        keys = "".join(f"{key.strip()}\n" for key in user["ssh_authorized_keys"]).encode()
        if put(ssh / "authorized_keys", keys, 0o600, account.pw_uid, account.pw_gid):
            changed.append(str(ssh / "authorized_keys"))
        os.chown(ssh, account.pw_uid, account.pw_gid)
        ssh.chmod(0o700)
    return changed


def forget_certificates_of_another_ca() -> bool:
    """Starts Traefik on an empty acme.json when its ACME CA changed (letsEncryptStaging switched off).

    Traefik then registers a new account, but keeps serving the old CA's certificate until it is
    due for renewal, weeks later. The old file stays beside it, as acme.json.<time>.
    """
    try:
        resolvers = yaml.safe_load(layout.TRAEFIK_CONFIG.read_text())["certificatesResolvers"]
        storage = json.loads(layout.ACME_STORAGE.read_text())
        registered = {name: ((entry.get("Account") or {}).get("Registration") or {}).get("uri")
                      for name, entry in storage.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    if all(urlparse(resolver["acme"]["caServer"]).hostname == urlparse(registered[name]).hostname
           for name, resolver in resolvers.items() if registered.get(name)):
        return False
    kept = layout.ACME_STORAGE.with_name(f"{layout.ACME_STORAGE.name}.{utc_stamp()}")
    layout.ACME_STORAGE.rename(kept)
    print(f"the ACME CA changed: Traefik starts on a new {layout.ACME_STORAGE}; the old one is {kept}", flush=True)
    return True


def sync(user_data: str) -> list[str]:
    if not user_data.startswith("#cloud-config"):
        raise SyncError("expected cloud-config user-data on stdin (a first line of #cloud-config)")
    config = yaml.safe_load(user_data) or {}
    changed = write_files(config.get("write_files") or []) + authorize_keys(config.get("users") or [])
    for path in changed:
        print(f"updated {path}", flush=True)
    new_ca = forget_certificates_of_another_ca()
    install = subprocess.run(["bash", str(layout.INSTALL_SCRIPT)])
    if install.returncode != 0:
        raise SyncError(f"{layout.INSTALL_SCRIPT} failed (exit {install.returncode}); its output above names the step")
    if changed or new_ca:
        # Units, Traefik's configuration and the hub's code are read at start.
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "try-restart", layout.PROXY_UNIT, layout.HUB_UNIT], check=True)
    return changed


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="classroom-sync", usage="classroom-sync < user-data",
                            description=__doc__.splitlines()[0]).parse_args(argv)
    try:
        changed = sync(sys.stdin.read())
    except (SyncError, KeyError, ValueError, OSError, yaml.YAMLError, subprocess.CalledProcessError) as err:
        print(f"classroom-sync: {err}", file=sys.stderr)
        return 1
    print(f"classroom-sync: {len(changed)} file(s) updated; install.sh ran")
    return 0

"""classroom-sync with the project's own rendered user-data, against cloud-init's write_files as the oracle."""

import json
import subprocess
import textwrap

import pytest
import yaml
from ops_server import LIB, REPO, make_server, server  # noqa: F401  (fixtures)

SYNC = f"{LIB}/classroom-sync"
ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDDdW/0w+ITkYcnvztvchqLmlfyd5ku8yAAPgIrE/MOQ me@laptop"
# Stands in for install.sh, whose own work (apt, sshd, volumes) the end-to-end test covers.
INSTALL_STUB = "#!/bin/bash\necho ran >>/run/install-runs\n"


@pytest.fixture(scope="module")
def user_data(tmp_path_factory) -> dict:
    """The example class's user-data as `pulumi up` renders it, with install.sh stubbed."""
    out = tmp_path_factory.mktemp("render")
    subprocess.run(["npx", "--no-install", "tsx", "bin/render.ts", "--config", "Pulumi.dev.yaml", "--out", out],
                   cwd=REPO, check=True, capture_output=True)
    config = yaml.safe_load((out / "user-data").read_text())
    for entry in config["write_files"]:
        if entry["path"] == f"{LIB}/install.sh":
            entry.pop("encoding", None)
            entry["content"] = INSTALL_STUB
    assert any(entry.get("encoding") == "gz+b64" for entry in config["write_files"])
    config["users"][0]["ssh_authorized_keys"] = [ADMIN_KEY]
    return config


def cloud_config(config: dict) -> str:
    return "#cloud-config\n" + yaml.safe_dump(config)


def file_facts(server, paths: list[str]) -> list[str]:
    """`mode uid gid sha256 path` of each file, as the server sees it."""
    script = 'for p; do printf "%s %s\\n" "$(stat -c "%a %u %g" "$p")" "$(sha256sum "$p")"; done'
    return server.run("sh", "-c", script, "sh", *paths).stdout.splitlines()


def prepare(server) -> None:
    server.install_operations()
    server.fake_systemd(jupyterhub="active", traefik="active")
    server.run("useradd", "--create-home", "--home-dir", "/srv/instructor", "instructor")


def test_writes_every_file_as_cloud_init_does(user_data, make_server):
    oracle, synced = make_server(), make_server()
    oracle.run("/usr/bin/python3", "-c", textwrap.dedent("""
        import sys, yaml
        from cloudinit.config.cc_write_files import write_files
        write_files("write_files", yaml.safe_load(sys.stdin)["write_files"], "root:root")
    """), input=cloud_config(user_data))
    prepare(synced)

    result = synced.run(SYNC, input=cloud_config(user_data))
    paths = [entry["path"] for entry in user_data["write_files"]]
    assert file_facts(synced, paths) == file_facts(oracle, paths)
    assert [line.removeprefix("updated ") for line in result.stdout.splitlines()[:-1]] \
        == paths + ["/srv/instructor/.ssh/authorized_keys"]
    assert synced.read("/run/install-runs") == "ran\n"
    assert synced.systemctl_calls() == ["daemon-reload", "try-restart traefik.service jupyterhub.service"]


def test_a_second_sync_changes_only_what_changed(user_data, server):
    prepare(server)
    server.run(SYNC, input=cloud_config(user_data))
    assert server.run(SYNC, input=cloud_config(user_data)).stdout == \
        "classroom-sync: 0 file(s) updated; install.sh ran\n"
    assert server.read("/run/install-runs") == "ran\nran\n"
    assert len(server.systemctl_calls()) == 2

    changed = {**user_data, "write_files": [
        {"path": entry["path"], "content": "# bumped\n"} if entry["path"] == "/etc/traefik/traefik.yaml" else entry
        for entry in user_data["write_files"]]}
    assert server.run(SYNC, input=cloud_config(changed)).stdout.splitlines()[0] == "updated /etc/traefik/traefik.yaml"
    assert server.read("/etc/traefik/traefik.yaml") == "# bumped\n"
    assert server.systemctl_calls()[-1] == "try-restart traefik.service jupyterhub.service"


def test_the_admins_keys_are_exactly_those_of_user_data(user_data, server):
    prepare(server)
    server.write("/srv/instructor/.ssh/authorized_keys", "ssh-ed25519 AAAAold-key removed@laptop\n", "0644")
    server.run(SYNC, input=cloud_config(user_data))
    assert server.read("/srv/instructor/.ssh/authorized_keys") == ADMIN_KEY + "\n"
    admin = server.run("id", "-u", "instructor").stdout.strip()
    assert server.run("stat", "-c", "%a %u", "/srv/instructor/.ssh", "/srv/instructor/.ssh/authorized_keys").stdout \
        == f"700 {admin}\n600 {admin}\n"


def test_a_failing_install_fails_the_sync(user_data, server):
    prepare(server)
    failing = {**user_data, "write_files": [
        {**entry, "content": "#!/bin/bash\nexit 3\n"} if entry["path"].endswith("/install.sh") else entry
        for entry in user_data["write_files"]]}
    result = server.run(SYNC, input=cloud_config(failing), check=False)
    assert result.returncode == 1
    assert result.stderr == f"classroom-sync: {LIB}/install.sh failed (exit 3); its output above names the step\n"
    assert server.systemctl_calls() == []


def test_refuses_what_is_not_cloud_config(server):
    server.install_operations()
    result = server.run(SYNC, input="#!/bin/sh\nrm -rf /\n", check=False)
    assert result.returncode == 1
    assert "expected cloud-config user-data on stdin" in result.stderr


def acme_storage(ca_host: str) -> str:
    """acme.json as Traefik leaves it: an account registered at ca_host, and its certificate."""
    return json.dumps({"letsencrypt": {
        "Account": {"Email": "prof@example.edu", "Registration": {"uri": f"https://{ca_host}/acme/acct/1234"}},
        "Certificates": [{"domain": {"main": "engr101.example.edu"}, "certificate": "Y2VydA==", "key": "a2V5"}],
    }})


def test_switching_the_acme_ca_starts_traefik_on_fresh_certificates(user_data, server):
    prepare(server)
    # The example class uses Let's Encrypt's staging CA; these certificates came from another one.
    server.write("/var/lib/traefik/acme.json", acme_storage("acme-v02.api.letsencrypt.org"), "0600")
    result = server.run(SYNC, input=cloud_config(user_data))
    kept = server.run("sh", "-c", "ls /var/lib/traefik").stdout.split()
    assert len(kept) == 1 and kept[0].startswith("acme.json.")
    assert f"the ACME CA changed: Traefik starts on a new /var/lib/traefik/acme.json; the old one is /var/lib/traefik/{kept[0]}" \
        in result.stdout

    server.write("/var/lib/traefik/acme.json", acme_storage("acme-staging-v02.api.letsencrypt.org"), "0600")
    result = server.run(SYNC, input=cloud_config(user_data))
    assert "the ACME CA changed" not in result.stdout
    assert server.read("/var/lib/traefik/acme.json") == acme_storage("acme-staging-v02.api.letsencrypt.org")

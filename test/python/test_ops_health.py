"""classroom-health against a real HTTPS server on the test server's own loopback.

Only the unit states come from stand-ins (fake_systemd/): this machine runs no systemd.
"""

import base64
import json
import sys
import threading
import time
from pathlib import Path

import pytest
from ops_pki import AcmeCa, issue
from ops_server import LIB, make_server, server  # noqa: F401  (fixtures)

HOSTNAME = "hub.classroom.test"
HEALTH = f"{LIB}/classroom-health"
COOKIE_SECRET = "c0ffee" * 10
HTTPS_HUB = Path(__file__).resolve().parent / "https_hub.py"
STUDENTS_NFT = Path(__file__).resolve().parents[2] / "cloud-init" / "nftables" / "students.nft"


@pytest.fixture
def hub_server(server):
    server.install_operations()
    server.fake_systemd(traefik="active", jupyterhub="active")
    server.write("/etc/hosts", f"127.0.0.1 localhost {HOSTNAME}\n")
    server.write("/etc/jupyterhub-classroom/class.json", json.dumps({"version": 1, "hostname": HOSTNAME}), "0600")
    server.write("/etc/jupyterhub-classroom/secrets.json", json.dumps({"cookieSecret": COOKIE_SECRET}), "0600")
    server.write("/var/log/cloud-init-output.log", "".join(f"cloud-init line {n}\n" for n in range(100)))
    # The students' firewall, as jupyterhub-classroom-firewall.service loads it (the server's network is its own).
    server.write("/etc/jupyterhub-classroom/students.nft", STUDENTS_NFT.read_text())
    server.run("nft", "-f", "/etc/jupyterhub-classroom/students.nft")
    return server


def serve(server, chain: str, key: str, status: int = 200, *mode: str):
    server.write("/run/test-hub/chain.pem", chain)
    server.write("/run/test-hub/key.pem", key, "0600")
    process = server.start(sys.executable, HTTPS_HUB, "/run/test-hub/chain.pem", "/run/test-hub/key.pem", status, *mode)
    assert process.stdout.readline().strip() == "listening"
    return process


def store_acme_certificate(server, chain: str) -> None:
    """As Traefik's ACME client stores what it obtained (its key is left out: the check never reads it)."""
    entry = {"domain": {"main": HOSTNAME}, "certificate": base64.b64encode(chain.encode()).decode(), "Store": "default"}
    server.write("/var/lib/traefik/acme.json", json.dumps({"letsencrypt": {"Certificates": [entry]}}), "0600")


def health(server, *args):
    return server.run(HEALTH, *args, check=False)


def test_healthy_over_a_certificate_from_a_trusted_ca(hub_server):
    ca = AcmeCa.create("Test CA")
    leaf = ca.leaf(HOSTNAME)
    serve(hub_server, ca.chain(leaf), leaf.key_pem())
    hub_server.write("/run/test-ca.pem", ca.root.pem())
    result = health(hub_server, "--timeout", "0", "--ca-file", "/run/test-ca.pem")
    assert result.returncode == 0, result.stderr
    assert f"healthy: https://{HOSTNAME}/hub/health" in result.stdout


def test_a_certificate_for_another_name_fails(hub_server):
    ca = AcmeCa.create("Test CA")
    leaf = ca.leaf("other.classroom.test")
    serve(hub_server, ca.chain(leaf), leaf.key_pem())
    hub_server.write("/run/test-ca.pem", ca.root.pem())
    result = health(hub_server, "--timeout", "0", "--ca-file", "/run/test-ca.pem")
    assert result.returncode == 1
    assert f"the certificate served for {HOSTNAME} is not valid: Hostname mismatch" in result.stderr


def test_staging_trusts_the_acme_chain_only_with_the_switch(hub_server):
    staging = AcmeCa.create("(STAGING) Test")
    leaf = staging.leaf(HOSTNAME)
    serve(hub_server, staging.chain(leaf), leaf.key_pem())
    store_acme_certificate(hub_server, staging.chain(leaf))

    production = health(hub_server, "--timeout", "0")
    assert production.returncode == 1
    assert "unable to get local issuer certificate" in production.stderr

    assert health(hub_server, "--timeout", "0", "--staging").returncode == 0


def test_staging_rejects_traefiks_default_certificate(hub_server):
    default = issue("TRAEFIK DEFAULT CERT", dns_names=("f0e1d2c3.traefik.default",))
    serve(hub_server, default.pem(), default.key_pem())
    hub_server.write("/run/fake-systemd/traefik.service.journal", "acme: error: 400 :: urn:ietf:params:acme:error:dns\n")
    result = health(hub_server, "--timeout", "0", "--staging")
    assert result.returncode == 1
    assert f"Traefik has no certificate for {HOSTNAME} from the ACME CA yet" in result.stderr
    assert "The hub is not healthy: both units are active." in result.stderr
    assert "--- last 40 lines of the journal of traefik.service\nacme: error: 400" in result.stderr


def test_a_handshake_refused_before_traefik_has_a_certificate_says_why(hub_server):
    default = issue("TRAEFIK DEFAULT CERT", dns_names=("f0e1d2c3.traefik.default",))
    serve(hub_server, default.pem(), default.key_pem(), 200, "no-certificate")
    result = health(hub_server, "--timeout", "0")
    assert result.returncode == 1
    assert f"the TLS handshake for {HOSTNAME} failed (TLSV1_UNRECOGNIZED_NAME): Traefik has no certificate for" \
           f" {HOSTNAME} from the ACME CA yet" in result.stderr, result.stderr


def test_traefik_down_names_it_with_its_status_journal_and_cloud_init_without_secrets(hub_server):
    hub_server.run("systemctl", "stop", "traefik.service")
    hub_server.write("/run/fake-systemd/traefik.service.journal",
                     f"traefik[712]: level=error msg=\"config\" secret={COOKIE_SECRET}\n")
    result = health(hub_server, "--timeout", "0")
    assert result.returncode == 1
    report = result.stderr
    assert report.startswith("The hub is not healthy: traefik.service is inactive. Last attempt: nothing accepts"
                             f" connections on {HOSTNAME}:443 (is Traefik running?).")
    assert "--- systemctl status traefik.service\ntraefik.service - fake unit\n     Active: inactive" in report
    assert "traefik[712]: level=error msg=\"config\" secret=[secret]" in report
    assert COOKIE_SECRET not in report
    assert "jupyterhub.service - fake unit" not in report
    assert report.endswith("\n".join(f"cloud-init line {n}" for n in range(75, 100)) + "\n")


def test_a_failed_hub_ends_the_wait_at_once(hub_server):
    ca = AcmeCa.create("Test CA")
    leaf = ca.leaf(HOSTNAME)
    serve(hub_server, ca.chain(leaf), leaf.key_pem(), status=502)
    hub_server.write("/run/test-ca.pem", ca.root.pem())
    hub_server.write("/run/fake-systemd/jupyterhub.service", "failed\n")
    started = time.monotonic()
    result = health(hub_server, "--timeout", "600", "--ca-file", "/run/test-ca.pem")
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert result.stderr.startswith("The hub is not healthy: jupyterhub.service is failed. Last attempt:"
                                    f" https://{HOSTNAME}/hub/health answered HTTP 502")


def test_a_stopped_proxy_ends_the_wait_after_a_few_checks(hub_server):
    hub_server.run("systemctl", "stop", "traefik.service")
    started = time.monotonic()
    result = health(hub_server, "--timeout", "600")
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert result.stderr.startswith("The hub is not healthy: traefik.service is inactive.")


def test_waits_for_a_hub_that_comes_up_later(hub_server):
    ca = AcmeCa.create("Test CA")
    leaf = ca.leaf(HOSTNAME)
    hub_server.write("/run/test-ca.pem", ca.root.pem())
    late = threading.Timer(3, serve, (hub_server, ca.chain(leaf), leaf.key_pem()))
    late.start()
    result = health(hub_server, "--timeout", "60", "--ca-file", "/run/test-ca.pem")
    late.join()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"waiting: nothing accepts connections on {HOSTNAME}:443 (is Traefik running?)",
        f"healthy: https://{HOSTNAME}/hub/health",
    ]


def test_a_name_that_does_not_resolve_points_at_dns(hub_server):
    result = health(hub_server, "--timeout", "0", "--hostname", "unknown.classroom.test")
    assert result.returncode == 1
    assert "unknown.classroom.test does not resolve on the server" in result.stderr
    assert "dig +short unknown.classroom.test" in result.stderr


@pytest.mark.parametrize("flush,cause", [
    (["nft", "flush", "ruleset"], "the nftables table inet jupyterhub_classroom or its output chain is missing"),
    (["nft", "flush", "chain", "inet", "jupyterhub_classroom", "output"],
     "no rule of the table inet jupyterhub_classroom rejects students' packets to @link_local_v4"),
    (["nft", "flush", "set", "inet", "jupyterhub_classroom", "link_local_v4"],
     "the set link_local_v4 of the table inet jupyterhub_classroom lacks 169.254.169.254"),
])
def test_an_open_metadata_service_fails_at_once_naming_the_firewall(hub_server, flush, cause):
    ca = AcmeCa.create("Test CA")
    leaf = ca.leaf(HOSTNAME)
    serve(hub_server, ca.chain(leaf), leaf.key_pem())
    hub_server.write("/run/test-ca.pem", ca.root.pem())
    hub_server.run(*flush)
    started = time.monotonic()
    result = health(hub_server, "--timeout", "600", "--ca-file", "/run/test-ca.pem")
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(f"The metadata service (169.254.169.254) is open to students: {cause}"), result.stderr
    assert "jupyterhub-classroom-firewall.service" in result.stderr
    hub_server.run("nft", "-f", "/etc/jupyterhub-classroom/students.nft")
    assert health(hub_server, "--timeout", "0", "--ca-file", "/run/test-ca.pem").returncode == 0

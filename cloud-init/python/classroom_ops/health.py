"""Waits for https://<hostname>/hub/health to answer over a certificate valid for the hostname,
once the students' firewall rules are in place.

`pulumi up` runs this on the server after every change to it (components/hubHealth.ts), so an
update succeeds only when students can reach the hub. On failure it prints the cause as read on
the server: which unit is not running, its status and journal, and the end of cloud-init's output,
with every value of secrets.json blotted out.
"""

import argparse
import base64
import binascii
import http.client
import json
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

from . import layout, systemd

HEALTH_PATH = "/hub/health"
ATTEMPT_SECONDS = 10
PAUSE_SECONDS = 5
# A unit seen inactive this many times in a row (PAUSE_SECONDS apart) is stopped, not restarting.
STOPPED_CHECKS = 3
JOURNAL_LINES = 40
CLOUD_INIT_LINES = 25
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
UNITS = (layout.PROXY_UNIT, layout.HUB_UNIT)
# students.nft: the table, its output chain, and the set holding the metadata service's address.
FIREWALL_TABLE = ("inet", "jupyterhub_classroom")
METADATA_ADDRESS = "169.254.169.254"
METADATA_SET = "link_local_v4"
STUDENT_UIDS = [20000, 59999]


class Unhealthy(Exception):
    """One failed attempt: `cause` is for the instructor; `unit` is the one whose journal explains it."""

    def __init__(self, cause: str, unit: str):
        super().__init__(cause)
        self.cause = cause
        self.unit = unit


def acme_chains(hostname: str) -> list[str]:
    """The PEM chains Traefik's ACME client obtained for hostname (acme.json; its keys are never read)."""
    try:
        storage = json.loads(layout.ACME_STORAGE.read_text())
        chains = []
        for resolver in storage.values():
            for entry in (resolver or {}).get("Certificates") or []:
                domain = entry.get("domain") or {}
                if hostname in (domain.get("main"), *(domain.get("sans") or [])):
                    chains.append(base64.b64decode(entry["certificate"]).decode())
        return chains
    except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return []


def tls_context(hostname: str, staging: bool, ca_files: list[str]) -> ssl.SSLContext:
    """The system's trust store, plus the given CA files; with staging, the ACME CA's intermediates.

    A staging CA's root is neither in the system store nor sent by the server, so with staging the
    intermediates Traefik received from the ACME CA become trust anchors (partial chain): the leaf
    must still be issued by them, be current and name the hostname, which Traefik's default
    self-signed certificate does not.
    """
    context = ssl.create_default_context()
    for ca_file in ca_files:
        context.load_verify_locations(cafile=ca_file)
    if staging:
        issuers = [pem for chain in acme_chains(hostname) for pem in PEM_CERTIFICATE.findall(chain)[1:]]
        if issuers:
            context.load_verify_locations(cadata="\n".join(issuers))
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def probe(hostname: str, context: ssl.SSLContext) -> None:
    """Raises Unhealthy unless the hub answers 200 over a verified certificate."""
    url = f"https://{hostname}{HEALTH_PATH}"
    connection = http.client.HTTPSConnection(hostname, timeout=ATTEMPT_SECONDS, context=context)
    try:
        connection.request("GET", HEALTH_PATH)
        status = connection.getresponse().status
    except socket.gaierror as err:
        raise Unhealthy(f"{hostname} does not resolve on the server ({err.strerror}): the DNS record has not"
                        f" reached it yet; compare `dig +short {hostname}` with the Droplet's address", layout.PROXY_UNIT)
    except ssl.SSLCertVerificationError as err:
        raise Unhealthy(certificate_cause(hostname, err.verify_message), layout.PROXY_UNIT)
    except ssl.SSLError as err:
        raise Unhealthy(handshake_cause(hostname, err), layout.PROXY_UNIT)
    except ConnectionRefusedError:
        raise Unhealthy(f"nothing accepts connections on {hostname}:443 (is Traefik running?)", layout.PROXY_UNIT)
    except (OSError, http.client.HTTPException) as err:
        raise Unhealthy(f"{url}: {str(err) or type(err).__name__}", layout.PROXY_UNIT)
    finally:
        connection.close()
    if status != 200:
        raise Unhealthy(f"{url} answered HTTP {status}, not 200: the hub is not serving behind Traefik", layout.HUB_UNIT)


def certificate_cause(hostname: str, verify_message: str) -> str:
    cause = f"the certificate served for {hostname} is not valid: {verify_message}"
    if not acme_chains(hostname):
        return (f"{cause}. Traefik has no certificate for {hostname} from the ACME CA yet, so it serves its"
                " own: usually the DNS record does not point at this server yet, or Let's Encrypt's rate"
                " limit was hit (docs/operations.md); Traefik's journal below says which")
    return cause


def metadata_block_problem() -> str | None:
    """Why students could reach the metadata service: the students' table missing (flushed), or
    its rule rejecting students' packets to the metadata address gone; None when it holds."""
    family, table = FIREWALL_TABLE
    listed = subprocess.run(["nft", "-j", "list", "chain", family, table, "output"], capture_output=True, text=True)
    if listed.returncode != 0:
        return f"the nftables table {family} {table} or its output chain is missing (nft: {listed.stderr.strip().splitlines()[0]})"
    member = subprocess.run(["nft", "get", "element", family, table, METADATA_SET, f"{{ {METADATA_ADDRESS} }}"],
                            capture_output=True, text=True)
    if member.returncode != 0:
        return f"the set {METADATA_SET} of the table {family} {table} lacks {METADATA_ADDRESS}"
    rules = [item["rule"]["expr"] for item in json.loads(listed.stdout)["nftables"] if "rule" in item]
    students = {"match": {"op": "==", "left": {"meta": {"key": "skuid"}}, "right": {"range": STUDENT_UIDS}}}
    metadata = {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": f"@{METADATA_SET}"}}
    if not any(students in expr and metadata in expr and any("reject" in e or "drop" in e for e in expr) for expr in rules):
        return f"no rule of the table {family} {table} rejects students' packets to @{METADATA_SET}"
    return None


def handshake_cause(hostname: str, err: ssl.SSLError) -> str:
    """Traefik's strict SNI ends the handshake for a name it has no certificate for."""
    cause = f"the TLS handshake for {hostname} failed ({err.reason or err})"
    if not acme_chains(hostname):
        return (f"{cause}: Traefik has no certificate for {hostname} from the ACME CA yet: usually the DNS"
                " record does not point at this server yet, or Let's Encrypt's rate limit was hit"
                " (docs/operations.md); Traefik's journal below says which")
    return cause


def secret_values() -> list[str]:
    try:
        secrets = json.loads(layout.SECRETS.read_text())
    except (OSError, ValueError):
        return []
    # Short values could be common words; every real secret here is long and random.
    return [value for value in secrets.values() if isinstance(value, str) and len(value) >= 8]


def redact(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[secret]")
    return text


def file_tail(path: Path, lines: int) -> str:
    try:
        with path.open("rb") as log:
            log.seek(0, 2)
            log.seek(max(0, log.tell() - 64 * 1024))
            return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")
    except OSError as err:
        return f"({err.strerror})"


def report(failure: Unhealthy, states: dict[str, str]) -> str:
    """The cause, then the status and journal of each unit that is down (or of the one to blame)."""
    down = [unit for unit in UNITS if states[unit] != "active"]
    headline = "; ".join(f"{unit} is {states[unit]}" for unit in down) or "both units are active"
    sections = [f"The hub is not healthy: {headline}. Last attempt: {failure.cause}."]
    for unit in down or [failure.unit]:
        sections += [f"--- systemctl status {unit}", systemd.status_text(unit),
                     f"--- last {JOURNAL_LINES} lines of the journal of {unit}", systemd.journal_tail(unit, JOURNAL_LINES)]
    sections += [f"--- last {CLOUD_INIT_LINES} lines of {layout.CLOUD_INIT_LOG}", file_tail(layout.CLOUD_INIT_LOG, CLOUD_INIT_LINES)]
    return redact("\n".join(sections), secret_values())


def wait_until_healthy(hostname: str, timeout: float, staging: bool, ca_files: list[str]) -> Unhealthy | None:
    deadline = time.monotonic() + timeout
    last_cause = None
    stopped_checks = 0
    while True:
        try:
            # Built anew each time: Traefik may store its certificate while we wait.
            probe(hostname, tls_context(hostname, staging, ca_files))
            return None
        except Unhealthy as failure:
            if failure.cause != last_cause:
                print(f"waiting: {failure.cause}", flush=True)
                last_cause = failure.cause
            # A failed unit has used up its restarts, and one that stays stopped (inactive, not
            # restarting) has nothing that starts it: waiting longer cannot help either.
            states = [systemd.state(u) for u in UNITS]
            stopped_checks = stopped_checks + 1 if "inactive" in states else 0
            if time.monotonic() + PAUSE_SECONDS > deadline or "failed" in states or stopped_checks >= STOPPED_CHECKS:
                return failure
        time.sleep(PAUSE_SECONDS)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="classroom-health", description=__doc__.splitlines()[0])
    parser.add_argument("--hostname", help="the class hostname (default: the one in class.json)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait in all (default 600)")
    parser.add_argument("--staging", action="store_true",
                        help="the certificate comes from a CA outside the system store (Let's Encrypt staging,"
                             " a test ACME server): trust the intermediates Traefik received from it")
    parser.add_argument("--ca-file", action="append", default=[], help="another CA certificate to trust (PEM)")
    args = parser.parse_args(argv)
    try:
        hostname = args.hostname or json.loads(layout.CLASS_SETTINGS.read_text())["hostname"]
    except (OSError, ValueError, KeyError) as err:
        print(f"classroom-health: no --hostname and no hostname in {layout.CLASS_SETTINGS} ({err})", file=sys.stderr)
        return 2
    open_metadata = metadata_block_problem()
    if open_metadata:
        print(f"The metadata service ({METADATA_ADDRESS}) is open to students: {open_metadata}. Load the rules"
              " again with `sudo systemctl restart jupyterhub-classroom-firewall.service` and see its journal"
              " (`journalctl -u jupyterhub-classroom-firewall.service`).", file=sys.stderr)
        return 1
    failure = wait_until_healthy(hostname, args.timeout, args.staging, args.ca_file)
    if failure is None:
        print(f"healthy: https://{hostname}{HEALTH_PATH}")
        return 0
    print(report(failure, {unit: systemd.state(unit) for unit in UNITS}), file=sys.stderr)
    return 1

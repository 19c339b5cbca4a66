"""Prints, as JSON, what the class server recorded about the students' server starts: the bench's
phase table comes from these timestamps (all wall-clock microseconds; the guest shares the host's clock).

Run inside the guest as root (python3 of the OS). For each student's unit: systemd's timestamps,
when its journal says the server listens, its cgroup's CPU and memory; from the hub's journal:
when the hub admitted each start (classroom_hub.admission, absent on hubs without it) and when it
called each server ready; the hub's own CPU and memory.
"""

import json
import re
import subprocess
from datetime import datetime, timezone

READY = re.compile(r"User (\S+) took [\d.]+ seconds to start")
ADMITTED = re.compile(r"Admission: (\S+) may start")
UNIT_TIMES = ["InactiveExitTimestamp", "ExecMainStartTimestamp", "ActiveEnterTimestamp"]


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def show(unit, properties):
    out = run("systemctl", "show", "--timestamp=us+utc", unit, *(f"--property={p}" for p in properties))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def micros(stamp):
    """systemd's us+utc form, e.g. 'Tue 2026-12-01 13:00:00.123456 UTC'; '' when never reached."""
    if not stamp:
        return None
    when = datetime.strptime(stamp, "%a %Y-%m-%d %H:%M:%S.%f UTC").replace(tzinfo=timezone.utc)
    return round(when.timestamp() * 1e6)


def journal(unit):
    out = run("journalctl", "--no-pager", "-o", "json", "--output-fields=MESSAGE", "-u", unit)
    for line in out.splitlines():
        entry = json.loads(line)
        message = entry.get("MESSAGE")
        if isinstance(message, str):
            yield int(entry["__REALTIME_TIMESTAMP"]), message


def number(value):
    try:
        return int(value)
    except ValueError:  # "[not set]": accounting off
        return None


def students():
    units = run("systemctl", "list-units", "--all", "--plain", "--no-legend", "jupyter-*-singleuser.service")
    for unit in (line.split()[0] for line in units.splitlines() if line.strip()):
        props = show(unit, [*UNIT_TIMES, "Environment", "CPUUsageNSec", "MemoryCurrent"])
        env = dict(pair.split("=", 1) for pair in props["Environment"].split() if "=" in pair)
        listening = next((t for t, m in journal(unit) if "is running at" in m), None)
        yield env.get("JUPYTERHUB_USER", unit), {
            "unit": unit,
            **{name: micros(props[name]) for name in UNIT_TIMES},
            "listening": listening,
            "cpuNs": number(props["CPUUsageNSec"]),
            "memoryBytes": number(props["MemoryCurrent"]),
        }


def hub():
    ready, admitted = {}, {}
    for stamp, message in journal("jupyterhub.service"):
        for pattern, found in ((READY, ready), (ADMITTED, admitted)):
            match = pattern.search(message)
            if match:
                found[match.group(1)] = stamp
    props = show("jupyterhub.service", ["MainPID", "CPUUsageNSec", "MemoryCurrent"])
    with open(f"/proc/{props['MainPID']}/status") as status:
        rss_kib = int(re.search(r"VmRSS:\s*(\d+)", status.read()).group(1))
    return {"ready": ready, "admitted": admitted, "cpuNs": number(props["CPUUsageNSec"]),
            "memoryBytes": number(props["MemoryCurrent"]), "rssBytes": rss_kib * 1024}


print(json.dumps({"students": dict(students()), "hub": hub()}))

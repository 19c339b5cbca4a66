"""Prints, as JSON, what the class server recorded about the students' server starts: the bench's
phase table comes from these timestamps (all wall-clock microseconds; the guest shares the host's clock).

Run inside the guest as root (python3 of the OS). For each student's unit: systemd's timestamps,
when its journal says the server listens, the CPU seconds and memory of its processes; from the
hub's journal: when the hub admitted each start (classroom_hub.admission, absent on hubs without it)
and when it called each server ready; the hub's own CPU and memory. CPU and memory come from /proc:
a container's systemd may have no cgroup accounting.
"""

import json
import os
import re
import subprocess
from datetime import datetime, timezone

READY = re.compile(r"User (\S+) took [\d.]+ seconds to start")
ADMITTED = re.compile(r"Admission: (\S+) may start")
UNIT_TIMES = ["InactiveExitTimestamp", "ExecMainStartTimestamp", "ActiveEnterTimestamp"]
# SystemdSpawner's unit_name_template, jupyter-{USERNAME}-singleuser, with the hub user's name.
STUDENT_UNIT = re.compile(r"jupyter-(.+)-singleuser\.service")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def processes(unit):
    """CPU seconds (user + system, children that ended included) and resident memory of the unit's processes."""
    cpu, rss = 0.0, 0
    group = run("systemctl", "show", unit, "--property=ControlGroup", "--value").strip()
    try:
        with open(f"/sys/fs/cgroup{group}/cgroup.procs") as procs:
            pids = procs.read().split()
    except OSError:
        pids = [run("systemctl", "show", unit, "--property=MainPID", "--value").strip()]
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status") as status:
                rss_kib = int(re.search(r"VmRSS:\s*(\d+)", status.read()).group(1))
        except (OSError, AttributeError):
            continue  # ended meanwhile, or a kernel thread
        cpu += sum(int(f) for f in fields[11:15]) / CLOCK_TICKS
        rss += rss_kib * 1024
    return cpu, rss


def students():
    units = run("systemctl", "list-units", "--all", "--plain", "--no-legend", "jupyter-*-singleuser.service")
    for unit in (line.split()[0] for line in units.splitlines() if line.strip()):
        name = STUDENT_UNIT.fullmatch(unit)
        if not name:
            continue
        props = show(unit, UNIT_TIMES)
        listening = next((t for t, m in journal(unit) if "is running at" in m), None)
        cpu, rss = processes(unit)
        yield name.group(1), {
            "unit": unit,
            **{time: micros(props[time]) for time in UNIT_TIMES},
            "listening": listening,
            "cpuSeconds": cpu,
            "rssBytes": rss,
        }


def hub():
    ready, admitted = {}, {}
    for stamp, message in journal("jupyterhub.service"):
        for pattern, found in ((READY, ready), (ADMITTED, admitted)):
            match = pattern.search(message)
            if match:
                found[match.group(1)] = stamp
    cpu, rss = processes("jupyterhub.service")
    return {"ready": ready, "admitted": admitted, "cpuSeconds": cpu, "rssBytes": rss}


print(json.dumps({"students": dict(students()), "hub": hub()}))

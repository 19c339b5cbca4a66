"""The few systemctl and journalctl calls the operations need."""

import subprocess


def is_active(unit: str) -> bool:
    return state(unit) == "active"


def state(unit: str) -> str:
    """active, inactive, failed, activating, …; systemctl prints it even when it exits non-zero."""
    result = subprocess.run(["systemctl", "is-active", unit], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def stop(unit: str) -> None:
    subprocess.run(["systemctl", "stop", unit], check=True)


def start(unit: str) -> None:
    subprocess.run(["systemctl", "start", unit], check=True)


def status_text(unit: str) -> str:
    """`systemctl status` without its journal excerpt: the journal is shown on its own."""
    result = subprocess.run(["systemctl", "status", "--no-pager", "--full", "--lines=0", unit],
                            capture_output=True, text=True)
    return (result.stdout + result.stderr).rstrip()


def journal_tail(unit: str, lines: int) -> str:
    result = subprocess.run(["journalctl", "--unit", unit, "--lines", str(lines), "--no-pager",
                             "--output", "short-iso"], capture_output=True, text=True)
    return (result.stdout + result.stderr).rstrip()

"""Run as root on a kernel that enforces quotas, with the students' volume mounted at MOUNT as fstab
mounts it (usrquota): the server's own code makes the two students' homes (as the hub does) and
sets their limits (as classroom-apply does), the first writes until the kernel refuses, the second
writes after her, and classroom-usage's report is taken. Prints one JSON line (test_quotas.py).

    python3 quota_enforcement.py MOUNT ACCOUNT ACCOUNT    # PYTHONPATH: the server's python/
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from classroom_hub.accounts import ensure_account
from classroom_hub.quotas import set_limits, usage_report, why_not_enforced

# 1 MiB at a time into the home, until an error, never past 1100 MiB whatever the kernel does.
FILL = """
import errno, os
written = 0
try:
    with open(os.path.join(os.environ["HOME"], "big.bin"), "wb") as f:
        while written < 1100:
            f.write(b"x" * (1 << 20))
            written += 1
    print("NOERROR none", written)
except OSError as e:
    print(errno.errorcode[e.errno], e.strerror, written)
"""
NOTE = "import os; open(os.environ['HOME'] + '/notes.txt', 'w').write('grace is fine' * 1000); print('ok')"


def as_user(account, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([shutil.which("runuser"), "-u", account.pw_name, "--", "/usr/bin/python3", "-c", code],
                          capture_output=True, text=True, env={"HOME": account.pw_dir, "PATH": "/usr/bin:/bin"})


def main(mount: Path, first: str, second: str) -> dict:
    homes = mount / "home"
    homes.mkdir(mode=0o755, exist_ok=True)
    ada, grace = ensure_account(first, homes), ensure_account(second, homes)
    out = {"reason": why_not_enforced(mount)}
    if out["reason"] is not None:
        return out  # nothing written: a volume without quotas would only fill up
    out["limits"] = set_limits(1, set(), mount)
    out["ada"] = as_user(ada, FILL).stdout.split()
    other = as_user(grace, NOTE)
    out["grace"] = other.stdout.strip() + other.stderr
    out["report"] = usage_report(homes, {first: "qada", second: "qgrace"}, 1, set(), mount)
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])))

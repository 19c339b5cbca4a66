"""Disk quotas on a real ext4 file system of this machine (a loop device): the server's own code
turns the quota feature on (classroom_ops/volume_quota.py, as install.sh runs it), mounts the volume
as install.sh does, sets the limits (classroom_hub/quotas.py, as classroom-apply does) and lists the
use (classroom-usage); real accounts write until the kernel says EDQUOT.

Enforcement needs a kernel with quota support (CONFIG_QFMT_V2, Debian's and Ubuntu's kernels as a
module): on a kernel without it, which refuses to mount a file system with the quota feature at
all, the test of enforcement is skipped with that reason, and the rest proves the volume still
mounts with every file, as install.sh's fallback does on the e2e's container.
"""

import errno
import os
import pwd
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from classroom_hub.accounts import ensure_account
from classroom_hub.quotas import KIB_PER_GIB, limit_command, set_limits, usage_report, why_not_enforced
from classroom_ops.volume_quota import has_quota

VOLUME_GIB = 1.5


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def ops(action: str, device: str) -> subprocess.CompletedProcess:
    """classroom_ops.volume_quota as install.sh runs it: the system python3, the library on its path."""
    server_python = Path(sys.modules["classroom_ops"].__file__).parent.parent
    return subprocess.run(["python3", "-m", "classroom_ops.volume_quota", action, device], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(server_python)})


@pytest.fixture
def loop_volume(world_dir, as_root):
    """A blank volume (a sparse file behind a loop device), as DigitalOcean attaches one."""
    image = world_dir / "volume.img"
    run("truncate", "-s", f"{int(VOLUME_GIB * 1024)}M", str(image))
    device = run("losetup", "--find", "--show", str(image)).stdout.strip()
    mount = world_dir / "classroom"
    mount.mkdir()
    made: list[str] = []
    yield SimpleNamespace(device=device, mount=mount, accounts=made)
    run("umount", str(mount), check=False)
    run("losetup", "--detach", device, check=False)
    for name in made:
        run("userdel", "--", name, check=False)


def mount_as_install_sh(volume) -> str:
    """install.sh's mount: enable the feature, mount with usrquota, and without the feature if the kernel refuses it."""
    enabled = ops("enable", volume.device)
    assert enabled.returncode == 0, enabled.stderr
    if run("mount", "-o", "noatime,usrquota", volume.device, str(volume.mount), check=False).returncode == 0:
        return "with quotas"
    disabled = ops("disable", volume.device)
    assert disabled.returncode == 0, disabled.stderr
    run("mount", "-o", "noatime,usrquota", volume.device, str(volume.mount))
    return "without quotas"


def student(volume, name: str) -> pwd.struct_passwd:
    homes = volume.mount / "home"
    homes.mkdir(mode=0o755, exist_ok=True)
    account = ensure_account(name, homes)
    volume.accounts.append(name)
    return account


def test_an_older_volume_gets_the_quota_feature_with_every_file_kept(loop_volume):
    run("mkfs.ext4", "-q", "-L", "classroom-homes", loop_volume.device)  # as install.sh formatted before
    run("mount", loop_volume.device, str(loop_volume.mount))
    (loop_volume.mount / "home").mkdir()
    (loop_volume.mount / "home" / "work.txt").write_text("a student's work\n")
    run("umount", str(loop_volume.mount))
    assert not has_quota(loop_volume.device)

    enabled = ops("enable", loop_volume.device)
    assert enabled.returncode == 0 and "turned on ext4's quota feature" in enabled.stdout, enabled.stderr
    assert has_quota(loop_volume.device)
    # Read without mounting it (debugfs reads the file system itself), whatever this kernel supports.
    assert run("debugfs", "-R", "cat /home/work.txt", loop_volume.device).stdout == "a student's work\n"
    assert run("e2fsck", "-f", "-n", loop_volume.device, check=False).returncode == 0
    assert "already" in ops("enable", loop_volume.device).stdout

    how = mount_as_install_sh(loop_volume)
    assert (loop_volume.mount / "home" / "work.txt").read_text() == "a student's work\n", how


def test_a_mounted_volume_is_left_alone(loop_volume):
    run("mkfs.ext4", "-q", loop_volume.device)
    run("mount", loop_volume.device, str(loop_volume.mount))
    refused = ops("enable", loop_volume.device)
    assert refused.returncode == 1 and "volume_quota:" in refused.stderr
    assert not has_quota(loop_volume.device)


def test_limits_are_whole_gib_hard_limits_with_no_grace():
    assert limit_command("jupyter-ada", 5, Path("/srv/classroom")) == \
        ["setquota", "-u", "jupyter-ada", str(5 * KIB_PER_GIB), str(5 * KIB_PER_GIB), "0", "0", "/srv/classroom"]
    assert limit_command("jupyter-ada", None, Path("/srv/classroom"))[3:5] == ["0", "0"]


def test_a_student_over_quota_gets_edquot_and_nobody_else_is_affected(loop_volume):
    # As install.sh formats a new volume.
    run("mkfs.ext4", "-q", "-L", "classroom-homes", "-O", "quota", "-E", "quotatype=usrquota", loop_volume.device)
    how = mount_as_install_sh(loop_volume)
    ada, grace = student(loop_volume, "jupyter-term-qada"), student(loop_volume, "jupyter-term-qgrace")
    reason = why_not_enforced(loop_volume.mount)
    if how == "without quotas":
        assert reason is not None and "no quota feature" in reason
        assert set_limits(1, set(), loop_volume.mount).startswith("NOT enforced:")
        pytest.skip(f"this kernel ({os.uname().release}) cannot enforce ext4 quotas (built without CONFIG_QFMT_V2): "
                    "it refuses to mount a file system with the quota feature, so install.sh mounts it without")
    assert reason is None
    assert set_limits(1, set(), loop_volume.mount) == "1 GiB for each of 2 students"

    fill = f"""
import errno, os
written = 0
try:
    with open(os.path.join({ada.pw_dir!r}, "big.bin"), "wb") as f:
        while True:
            f.write(b"x" * (1 << 20))
            f.flush()
            os.fsync(f.fileno())
            written += 1
except OSError as e:
    print(errno.errorcode[e.errno], e.strerror, written)
"""
    filled = run("runuser", "-u", ada.pw_name, "--", "/usr/bin/python3", "-c", fill)
    code, *_, megabytes = filled.stdout.split()
    assert code == "EDQUOT" and "Disk quota exceeded" in filled.stdout, filled.stdout + filled.stderr
    assert 1000 <= int(megabytes) <= 1024
    # Grace writes on, in her own home, on the same file system.
    other = run("runuser", "-u", grace.pw_name, "--", "/usr/bin/python3", "-c",
                f"open({grace.pw_dir + '/notes.txt'!r}, 'w').write('grace is fine' * 1000); print('ok')")
    assert other.stdout.strip() == "ok", other.stderr

    report = usage_report(loop_volume.mount / "home", {ada.pw_name: "qada"}, 1, set(), loop_volume.mount)
    first = report.splitlines()[1].split()
    assert first[:2] == [ada.pw_name, "qada"] and first[-1] in ("99%", "100%"), report
    assert "disk quotas: enforced by the kernel" in report


def test_classroom_usage_lists_each_student_most_first(loop_volume):
    run("mkfs.ext4", "-q", "-L", "classroom-homes", "-O", "quota", "-E", "quotatype=usrquota", loop_volume.device)
    mount_as_install_sh(loop_volume)
    ada, grace, prof = (student(loop_volume, f"jupyter-term-u{n}") for n in ("ada", "grace", "prof"))
    for account, size in ((ada, 3 << 20), (grace, 8 << 20), (prof, 1 << 20)):
        run("runuser", "-u", account.pw_name, "--", "/usr/bin/python3", "-c",
            f"open({account.pw_dir + '/data.bin'!r}, 'wb').write(b'x' * {size})")
    names = {ada.pw_name: "uada", grace.pw_name: "ugrace", prof.pw_name: "uprof"}
    report = usage_report(loop_volume.mount / "home", names, 5, {prof.pw_name}, loop_volume.mount).splitlines()
    rows = [line.split() for line in report[1:] if line.startswith("jupyter-term-u")]
    assert [row[0] for row in rows] == [grace.pw_name, ada.pw_name, prof.pw_name]
    assert rows[0][2:4] == ["8.0", "MiB"] and rows[0][4:6] == ["5", "GiB"]
    assert rows[2][4] == "staff"
    reason = why_not_enforced(loop_volume.mount)
    assert report[-2] == ("disk quotas: enforced by the kernel" if reason is None else f"disk quotas: not enforced: {reason}")
    assert report[-1].startswith("students' volume: ")

"""Disk quotas on a real ext4 file system of this machine (a loop device): the server's own code
turns the quota feature on (classroom_ops/volume_quota.py, as install.sh runs it), mounts the volume
as install.sh does, sets the limits (classroom_hub/quotas.py, as classroom-apply does) and lists the
use (classroom-usage); real accounts write until the kernel says EDQUOT.

Enforcement needs a kernel with quota support (CONFIG_QFMT_V2; Debian's and Ubuntu's kernels, which
Droplets run, have it as a module). A kernel without it refuses to mount a file system with the
quota feature at all; there the enforcement test runs the same code under Debian 12's own kernel as
User-Mode Linux (quota_uml_init.sh), with this machine's files and the same volume, and the other
tests prove the volume still mounts with every file, as install.sh's fallback does on the e2e's
container.
"""

import asyncio
import json
import logging
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from classroom_hub.accounts import ensure_account
from classroom_hub.quotas import KIB_PER_GIB, limit_command, usage_report, why_not_enforced
from classroom_hub.spawn_hook import make_pre_spawn_hook
from classroom_ops.volume_quota import has_quota

HERE = Path(__file__).resolve().parent

VOLUME_GIB = 1.5


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=check)


def ops(action: str, device: str) -> subprocess.CompletedProcess:
    """classroom_ops.volume_quota as install.sh runs it: the system python3, the library on its path."""
    return subprocess.run(["/usr/bin/python3", "-m", "classroom_ops.volume_quota", action, device], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": server_python()})


@pytest.fixture
def loop_volume(world_dir, as_root):
    """A blank volume (a sparse file behind a loop device), as DigitalOcean attaches one."""
    image = world_dir / "volume.img"
    run("truncate", "-s", f"{int(VOLUME_GIB * 1024)}M", str(image))
    device = run("losetup", "--find", "--show", str(image)).stdout.strip()
    mount = world_dir / "classroom"
    mount.mkdir()
    made: list[str] = []
    yield SimpleNamespace(device=device, image=image, mount=mount, accounts=made)
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


def enforcement_here(volume, names: list[str]) -> dict:
    """quota_enforcement.py on this machine's kernel, the volume mounted as fstab mounts it."""
    run("mount", "-o", "noatime,usrquota", volume.device, str(volume.mount))
    done = subprocess.run([sys.executable, str(HERE / "quota_enforcement.py"), str(volume.mount), *names],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": server_python()})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def enforcement_under_debians_kernel(volume, names: list[str]) -> dict:
    """quota_enforcement.py under Debian 12's own kernel (6.1, CONFIG_QFMT_V2=m) as User-Mode Linux:
    the volume is its disk, this machine's files (accounts included) its root."""
    uml = shutil.which("linux.uml")
    assert uml and shutil.which("insmod"), ("this kernel cannot enforce ext4 quotas (no CONFIG_QFMT_V2), and Debian's "
                                            "kernel as User-Mode Linux is missing: apt-get install user-mode-linux kmod "
                                            "(tools/setup.sh)")
    run("losetup", "--detach", volume.device)
    results = volume.mount.parent / "uml-results.txt"
    environment = {"RESULTS": results, "MOUNT": volume.mount, "SERVER_PYTHON": server_python(), "PYTHON": sys.executable,
                   "SCRIPT": HERE / "quota_enforcement.py", "FIRST": names[0], "SECOND": names[1]}
    subprocess.run([uml, f"ubd0={volume.image}", "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "rw",
                    "mem=256M", f"init={HERE / 'quota_uml_init.sh'}", "con=null", "con0=null",
                    *(f"{key}={value}" for key, value in environment.items())], capture_output=True, timeout=900)
    lines = results.read_text().splitlines() if results.exists() else []
    assert lines and lines[-1].startswith("{"), "the User-Mode Linux run said:\n" + "\n".join(lines)
    return json.loads(lines[-1])


def test_a_student_over_quota_gets_edquot_and_nobody_else_is_affected(loop_volume):
    # As install.sh formats a new volume.
    run("mkfs.ext4", "-q", "-L", "classroom-homes", "-O", "quota", "-E", "quotatype=usrquota", loop_volume.device)
    names = ["jupyter-term-qada", "jupyter-term-qgrace"]
    # The accounts, in this machine's /etc/passwd (a User-Mode Linux run reads the same files).
    for name in names:
        student(loop_volume, name)
    here_can = subprocess.run(["mount", "-o", "noatime,usrquota", loop_volume.device, str(loop_volume.mount)],
                              capture_output=True).returncode == 0
    if here_can:
        run("umount", str(loop_volume.mount))
    out = (enforcement_here if here_can else enforcement_under_debians_kernel)(loop_volume, names)

    assert out["reason"] is None, out
    assert re.fullmatch(r"1 GiB for each of \d+ students", out["limits"]), out["limits"]  # this machine may have more
    code, *words, megabytes = out["ada"]
    assert (code, " ".join(words)) == ("EDQUOT", "Disk quota exceeded"), out["ada"]
    assert 1000 <= int(megabytes) <= 1024, out["ada"]
    assert out["grace"] == "ok", f"another student could not write while one was over her quota: {out['grace']}"
    rows = [line.split() for line in out["report"].splitlines()]
    assert rows[1][:2] == [names[0], "qada"] and rows[1][-1] in ("99%", "100%"), out["report"]
    assert rows[2][:2] == [names[1], "qgrace"], out["report"]
    assert "disk quotas: enforced by the kernel" in out["report"]


def server_python() -> str:
    return str(Path(sys.modules["classroom_ops"].__file__).parent.parent)


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


def test_the_hub_sets_a_new_accounts_quota_at_its_first_start_in_a_unit_of_its_own(world_dir, as_root):
    """The pre-spawn hook: setquota needs CAP_SYS_ADMIN, which the hub's unit lacks, so systemd runs it."""
    calls = world_dir / "systemd-run.log"
    systemd_run = world_dir / "systemd-run"
    systemd_run.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >>{calls}\n')
    systemd_run.chmod(0o755)
    (world_dir / "home").mkdir(mode=0o755)
    hook = make_pre_spawn_hook(None, None, homes=world_dir / "home", mirror=world_dir / "mirror", quota_gb=2,
                               staff_accounts=frozenset({"jupyter-term-hprof"}), volume=Path("/srv/classroom"),
                               systemd_run=str(systemd_run))
    made = []
    try:
        for name in ("term-hada", "term-hprof"):
            spawner = SimpleNamespace(user=SimpleNamespace(name=name), log=logging.getLogger("test"))
            asyncio.run(hook(spawner))
            made.append(f"jupyter-{name}")
    finally:
        for account in made:
            run("userdel", "--", account, check=False)
    assert calls.read_text().splitlines() == [
        f"--quiet --wait --collect -- setquota -u jupyter-term-hada {2 * KIB_PER_GIB} {2 * KIB_PER_GIB} 0 0 /srv/classroom",
        "--quiet --wait --collect -- setquota -u jupyter-term-hprof 0 0 0 0 /srv/classroom",
    ]

"""Each student's disk quota on the students' volume (class.json diskQuotaGb) and their use of it.

The kernel keeps and enforces the quotas: the volume's ext4 file system has the quota feature
(classroom_ops/volume_quota.py) and is mounted with usrquota (install.sh). A write past the limit
fails with EDQUOT, "Disk quota exceeded", in that student's process only. classroom-apply sets the
limit of every student account there is; the pre-spawn hook sets it for an account made since (a
first login). Course staff have none. Limits are hard, with no grace period: soft = hard.
"""

import os
import pwd
import subprocess
import sys
from pathlib import Path

from .accounts import STUDENT_UIDS
from .settings import SettingsError, load_settings
from .staff import course_staff
from .usernames import normalize_login, system_account

VOLUME = Path("/srv/classroom")
KIB_PER_GIB = 1024 * 1024


def volume_root() -> Path:
    """The students' file system's mount point; CLASSROOM_VOLUME points elsewhere, for tests."""
    return Path(os.environ.get("CLASSROOM_VOLUME", VOLUME))


def why_not_enforced(mount: Path) -> str | None:
    """None when the kernel enforces quotas on the file system at `mount`; else the reason."""
    entry = next((line.split() for line in Path("/proc/self/mounts").read_text().splitlines()
                  if line.split()[1:2] == [str(mount)]), None)
    if entry is None:
        return f"{mount} is not mounted"
    device, fs_type, options = entry[0], entry[2], entry[3].split(",")
    if fs_type != "ext4":
        return f"{mount} is {fs_type}, not ext4"
    listing = subprocess.run(["tune2fs", "-l", device], capture_output=True, text=True)
    features = next((line.split(":", 1)[1].split() for line in listing.stdout.splitlines()
                     if line.startswith("Filesystem features:")), [])
    if "quota" not in features:
        return (f"its file system ({device}) has no quota feature yet: a new server turns it on before it mounts the "
                "volume (pause and resume the class, or replace the server); this kernel may also lack quota support")
    if "usrquota" not in options:
        return f"{mount} is mounted without usrquota: a new server mounts it with it"
    return None


def limit_command(account: str, gb: int | None, mount: Path) -> list[str]:
    """setquota's argument list: a hard limit of gb GiB (soft the same: no grace), or none."""
    blocks = str(gb * KIB_PER_GIB) if gb else "0"
    return ["setquota", "-u", account, blocks, blocks, "0", "0", str(mount)]


def student_accounts() -> list[pwd.struct_passwd]:
    return sorted((p for p in pwd.getpwall() if p.pw_uid in STUDENT_UIDS), key=lambda p: p.pw_name)


def set_limits(gb: int | None, staff_accounts: set[str], mount: Path) -> str:
    """classroom-apply: every student account's limit (staff: none); what it did, or why it did not."""
    reason = why_not_enforced(mount)
    if reason is not None:
        return "none" if gb is None else f"NOT enforced: {reason}"
    accounts = student_accounts()
    for account in accounts:
        limit = None if account.pw_name in staff_accounts else gb
        subprocess.run(limit_command(account.pw_name, limit, mount), check=True, capture_output=True, text=True)
    students = sum(1 for a in accounts if a.pw_name not in staff_accounts)
    return f"{gb} GiB for each of {students} students" if gb else f"none (cleared for {students} students)"


def home_use(home: Path) -> int:
    """Bytes a home takes on disk (allocated blocks, as the quota counts them), links not followed."""
    total = 0
    for directory, subdirectories, files in os.walk(home):
        for name in [*subdirectories, *files]:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except FileNotFoundError:
                pass  # removed while we looked
    return total + os.lstat(home).st_blocks * 512


def human(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024
    return f"{size:.1f} GiB"


def usage_report(homes: Path, names: dict[str, str], gb: int | None, staff_accounts: set[str], mount: Path) -> str:
    """classroom-usage's table: each account with a home, its hub name, use and quota, most first."""
    rows = []
    for account in student_accounts():
        home = homes / account.pw_name
        if home.is_dir() and not home.is_symlink():
            quota = "staff" if account.pw_name in staff_accounts else f"{gb} GiB" if gb else "none"
            rows.append((home_use(home), account.pw_name, names.get(account.pw_name, "?"), quota))
    rows.sort(key=lambda row: (-row[0], row[1]))
    lines = [f"{'account':<32} {'hub name':<32} {'used':>10} {'quota':>8} {'of quota':>8}"]
    for used, account, name, quota in rows:
        share = f"{100 * used / (gb * 1024 ** 3):.0f}%" if gb and quota != "staff" else ""
        lines.append(f"{account:<32} {name:<32} {human(used):>10} {quota:>8} {share:>8}")
    reason = why_not_enforced(mount)
    lines.append(f"disk quotas: {'enforced by the kernel' if reason is None else f'not enforced: {reason}'}"
                 if gb else "disk quotas: none (diskQuotaGb is not set)")
    disk = os.statvfs(homes)
    total, free = disk.f_blocks * disk.f_frsize, disk.f_bavail * disk.f_frsize
    lines.append(f"students' volume: {human(total - free)} used of {human(total)}, {human(free)} free")
    return "\n".join(lines)


def staff_accounts(auth: dict) -> set[str]:
    return {system_account(name) for name in course_staff(auth)}


def usage_main(argv: list[str]) -> int:
    """sudo classroom-usage: no arguments; the class's settings say who is who and the quota."""
    if argv:
        print("usage: sudo classroom-usage   (lists each student's use of the students' volume)", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("classroom-usage: run it as root: sudo classroom-usage", file=sys.stderr)
        return 1
    try:
        settings = load_settings()
    except (SettingsError, OSError) as e:
        print(f"classroom-usage: {e}", file=sys.stderr)
        return 1
    auth = settings["auth"]
    names = {system_account(name): name for name in map(normalize_login, [*auth["allowedUsers"], *auth["adminUsers"]])}
    staff = staff_accounts(auth)
    print(usage_report(volume_root() / "home", names, settings["diskQuotaGb"], staff, volume_root()))
    return 0

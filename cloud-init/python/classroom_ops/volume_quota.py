"""ext4's quota feature on the students' volume, which disk quotas (diskQuotaGb) need.

    python3 -m classroom_ops.volume_quota enable DEVICE     # install.sh, before it mounts the volume
    python3 -m classroom_ops.volume_quota disable DEVICE    # install.sh, when the kernel refuses it

The feature keeps each user's use in hidden inodes the kernel updates with every write, so usage
is always exact and no quotacheck ever runs; with the `usrquota` mount option the kernel also
enforces the limits classroom-apply sets. tune2fs turns it on only while the file system is not
mounted: install.sh runs this before mounting, so a new volume (formatted with it) and every older
volume, at its next mount by a new server (a replacement, a resume), gets it. The file system is
checked first and left as it is if the check finds anything it could not fix; neither direction
touches a file. A kernel built without quota support (CONFIG_QFMT_V2) refuses to mount a file
system with the feature at all: install.sh then turns it off again and mounts without quotas.
Exit status: 0 done (or nothing to do), 1 left unchanged, with the reason.
"""

import subprocess
import sys

FEATURE = "quota"
# e2fsck -p: 0 clean, 1 errors corrected; anything more is a file system to leave alone.
E2FSCK_CORRECTED = 1


def has_quota(device: str) -> bool:
    listing = subprocess.run(["tune2fs", "-l", device], capture_output=True, text=True, check=True).stdout
    features = next((line.split(":", 1)[1].split() for line in listing.splitlines() if line.startswith("Filesystem features:")), [])
    return FEATURE in features


def enable(device: str) -> str:
    if has_quota(device):
        return f"{device} keeps disk quotas already"
    check = subprocess.run(["e2fsck", "-f", "-p", device], capture_output=True, text=True)
    if check.returncode > E2FSCK_CORRECTED:
        raise RuntimeError(f"e2fsck -f -p {device} exited {check.returncode}, so its quota feature stays off: "
                           f"{(check.stdout + check.stderr).strip()[-500:]}")
    subprocess.run(["tune2fs", "-O", FEATURE, "-Q", "usrquota", device], capture_output=True, text=True, check=True)
    return f"{device}: turned on ext4's quota feature (disk quotas can now be enforced)"


def disable(device: str) -> str:
    if not has_quota(device):
        return f"{device} has no quota feature"
    subprocess.run(["tune2fs", "-O", f"^{FEATURE}", device], capture_output=True, text=True, check=True)
    return f"{device}: turned off ext4's quota feature (this kernel cannot mount it; no disk quotas)"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("enable", "disable"):
        print("usage: python3 -m classroom_ops.volume_quota enable|disable DEVICE", file=sys.stderr)
        return 2
    try:
        print((enable if argv[0] == "enable" else disable)(argv[1]))
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        detail = e.stderr.strip() if isinstance(e, subprocess.CalledProcessError) and e.stderr else e
        print(f"volume_quota: {detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

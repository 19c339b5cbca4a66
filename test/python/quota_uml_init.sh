#!/bin/bash
# The init of a User-Mode Linux boot (Debian 12's own kernel, as the user-mode-linux package builds
# it, with quota_v2 as a module): this machine's files are its root (hostfs), the test's volume its
# disk /dev/ubda. It loads the quota modules, mounts the volume as install.sh's fstab line does and
# runs quota_enforcement.py with the tests' Python. The kernel hands RESULTS, MOUNT, SERVER_PYTHON,
# PYTHON, SCRIPT, FIRST and SECOND from its command line as the environment; everything printed goes to $RESULTS.
exec >"$RESULTS" 2>&1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
for module in quota_tree quota_v2; do
  insmod "$(find /usr/lib/uml/modules -name "$module.ko" | head -1)"
done
mount -o noatime,usrquota /dev/ubda "$MOUNT"
PYTHONPATH="$SERVER_PYTHON" "$PYTHON" "$SCRIPT" "$MOUNT" "$FIRST" "$SECOND"
umount "$MOUNT"

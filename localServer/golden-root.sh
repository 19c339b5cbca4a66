#!/usr/bin/env bash
# Builds, or reuses, the read-only Debian 12 root that every e2e server boots from (with
# systemd-nspawn --volatile=overlay, so each boot starts from this state like a fresh Droplet).
# It holds what a Debian 12 Droplet image holds, plus the slow-to-fetch OS packages the user-data
# asks for, and this machine's package-index settings and CA certificates (outbound TLS here goes
# through a custom CA), so the guest reaches the registries as a Droplet reaches the internet.
# It never holds the project's own software: that arrives through the rendered user-data.
#
# Usage: golden-root.sh [extra apt package…]   Prints the root's path on the last line of stdout.
set -euo pipefail

cache_dir=${JHC_E2E_CACHE:-/var/cache/jupyterhub-classroom-e2e}
here=$(cd "$(dirname "$0")" && pwd)
mirror=http://deb.debian.org/debian

# What a Debian cloud image has; python3-cffi-backend must be named or cloud-init does not install.
base_packages=(
  systemd systemd-sysv dbus udev kmod procps iproute2 cloud-init python3 python3-cffi-backend
  sudo openssh-server curl ca-certificates locales apt-utils
)
mapfile -t packages < <(printf '%s\n' "${base_packages[@]}" "$@" | sort -u)

host_settings=(/etc/apt/sources.list.d/debian.sources /etc/apt/apt.conf.d/99artifact-registry /etc/pip.conf)
mapfile -t host_cas < <(find /usr/local/share/ca-certificates -type f -name '*.crt' 2>/dev/null | sort)
# Tools that bring their own CA list (uv, pip in a venv, node) find the custom CA through these,
# on this host as in the guest; systemd hands them to every service there, the installer included.
host_env=()
for name in SSL_CERT_FILE SSL_CERT_DIR REQUESTS_CA_BUNDLE CURL_CA_BUNDLE GIT_SSL_CAINFO NODE_EXTRA_CA_CERTS \
  PIP_CERT PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_DEFAULT_TIMEOUT UV_INDEX_URL UV_DEFAULT_INDEX UV_NATIVE_TLS; do
  if [[ -n ${!name:-} ]]; then host_env+=("$name=${!name}"); fi
done

# The cache key covers everything that ends up in the root, so a change to any of it builds anew.
key=$( {
  printf '%s\n' "${packages[@]}" "${host_env[@]}"
  cat "$0"
  for f in "${host_settings[@]}" "${host_cas[@]}"; do if [[ -f $f ]]; then echo "$f"; cat "$f"; fi; done
} | sha256sum | cut -c1-16)
golden=$cache_dir/golden-$key

mkdir -p "$cache_dir"
exec 9>"$cache_dir/build.lock"
flock 9
if [[ -f $golden/.jhc-e2e-complete ]]; then
  echo "golden root: reusing $golden" >&2
  echo "$golden"
  exit 0
fi

start=$SECONDS
work=$(mktemp -d "$cache_dir/building-XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
echo "golden root: debootstrap bookworm with ${packages[*]}" >&2
nice -n 10 debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
  bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 40 "$work/debootstrap.log" "$work/root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
  exit 1
}
root=$work/root

# This machine's package sources and settings replace debootstrap's one-line sources.list.
rm -f "$root/etc/apt/sources.list"
for f in "${host_settings[@]}"; do
  if [[ -f $f ]]; then install -D -m 0644 "$f" "$root$f"; fi
done
for ca in "${host_cas[@]}"; do
  install -D -m 0644 "$ca" "$root/usr/local/share/ca-certificates/${ca##*/}"
done
chroot "$root" update-ca-certificates >"$work/update-ca-certificates.log" 2>&1 || { cat "$work/update-ca-certificates.log" >&2; exit 1; }
# Up to date with the security and updates suites, as a cloud image is when it is published.
if ! chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y -qq' >"$work/upgrade.log" 2>&1; then
  tail -n 40 "$work/upgrade.log" >&2
  exit 1
fi
if ((${#host_env[@]})); then
  mkdir -p "$root/etc/systemd/system.conf.d"
  printf 'DefaultEnvironment=%s\n' "${host_env[*]}" >"$root/etc/systemd/system.conf.d/90-jhc-e2e-host-ca.conf"
fi

install -D -m 0644 "$here/golden/cloud.cfg.d/90-jhc-e2e.cfg" "$root/etc/cloud/cloud.cfg.d/90-jhc-e2e.cfg"
# A fresh instance gets its own machine id and SSH host keys, as a new Droplet does.
: >"$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

touch "$root/.jhc-e2e-complete"
mv "$root" "$golden"
# Roots of older package lists or settings are never used again.
find "$cache_dir" -mindepth 1 -maxdepth 1 -name 'golden-*' ! -path "$golden" -exec rm -rf --one-file-system {} +
echo "golden root: built $golden in $((SECONDS - start)) s" >&2
echo "$golden"

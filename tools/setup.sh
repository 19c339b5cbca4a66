#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine (run as root): the real tools the
# tests drive, the npm packages from the lock file, and the Python test environment with the hub's
# pinned versions. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  shellcheck cloud-init systemd-container debootstrap pebble chromium nftables iproute2
  git openssh-client openssh-server sudo curl ca-certificates
)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
# Installed only for `cloud-init schema`: it must never reconfigure this machine at its next boot.
touch /etc/cloud/cloud-init.disabled

npm ci --no-audit --no-fund

python3 -m pip install --quiet --disable-pip-version-check "uv==0.9.30"
uv venv --quiet --allow-existing --python python3 .venv
uv pip install --quiet --python .venv/bin/python --require-hashes -r test/python/requirements-test.txt

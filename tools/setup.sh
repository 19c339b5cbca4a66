#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine (run as root): the real tools the
# tests drive, the npm packages from the lock file, and the Python test environment with the hub's
# pinned versions. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  shellcheck cloud-init systemd-container debootstrap pebble chromium nftables iproute2
  git openssh-client openssh-server sudo curl ca-certificates python3.11-venv passwd util-linux procps
  testssl.sh
  # Disk quotas (test/python/test_quotas.py): the quota tools, and Debian's kernel as User-Mode Linux
  # (with its quota modules, loaded by insmod) where this machine's kernel cannot enforce quotas.
  quota user-mode-linux kmod e2fsprogs
)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
# Installed only for `cloud-init schema`: it must never reconfigure this machine at its next boot.
touch /etc/cloud/cloud-init.disabled

npm ci --no-audit --no-fund

python3 -m pip install --quiet --disable-pip-version-check "uv==0.9.30"
# Debian's interpreter, not a user's own build: the tests run it as test students, as the server
# runs its hub venv's python for them.
uv venv --quiet --allow-existing --python /usr/bin/python3.11 .venv
# --no-deps as on the server: the lock deliberately leaves out packages nothing in a class uses (tools/lock.py).
uv pip install --quiet --python .venv/bin/python --require-hashes --no-deps -r cloud-init/requirements/hub.txt
uv pip install --quiet --python .venv/bin/python -r test/python/requirements-test.txt
# The students' environment: test_grading.py runs nbgrader's commands from it as test students.
uv venv --quiet --allow-existing --python /usr/bin/python3.11 .venv-user
uv pip install --quiet --python .venv-user/bin/python --require-hashes --no-deps -r cloud-init/requirements/user.txt
# The Zero to JupyterHub chart's hub environment, for the kubernetes platform's hub-config test.
uv venv --quiet --allow-existing --python /usr/bin/python3.11 .venv-k8s
uv pip install --quiet --python .venv-k8s/bin/python --require-hashes -r platforms/kubernetes/requirements/hub.txt

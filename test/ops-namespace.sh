#!/usr/bin/env bash
# A throwaway server for the operations tests: a mount and network namespace in which /usr/local,
# /opt, /var, /srv, /run and /root are overlays of this machine's (the changes kept under DIR), /etc
# is a copy, and loopback is private. /root too: tests on other workers put their own files at the
# same paths there (/root/archive.tar.gz), and one test's restore must never read another's archive. The server scripts then run at their real paths, accounts made
# with useradd exist only inside, ports such as 22 and 443 are free, and nothing here changes.
#
#   ops-namespace.sh start DIR      prints the PID that holds the namespace (DIR: empty, not under
#                                   an overlaid path); DIR/upper/<path> shows what changed inside,
#                                   DIR/etc is its /etc
#   ops-namespace.sh run PID CMD…   runs CMD inside, as root, in the current directory
#   ops-namespace.sh stop PID       ends the namespace (run it after stopping what you started)
set -euo pipefail

overlaid=(usr/local opt var srv run root)

# Keeps the lines of /etc/$1 that `awk -F: "$2"` selects; the file keeps its mode (shadow: 0640).
keep_lines() {
  local kept
  kept=$(awk -F: "$2" "${@:3}" "/etc/$1")
  printf '%s\n' "$kept" >"/etc/$1"
}

case "${1:-}" in
start)
  dir=$(realpath "$2")
  for path in "${overlaid[@]}"; do mkdir -p "$dir/upper/$path" "$dir/work/$path"; done
  mkdir "$dir/etc"
  unshare --mount --net --propagation private -- "$0" inside "$dir" </dev/null >"$dir/namespace.log" 2>&1 &
  holder=$!
  for _ in $(seq 400); do
    if [ -e "$dir/ready" ]; then echo "$holder"; exit 0; fi
    if ! kill -0 "$holder" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "ops-namespace: the namespace did not start:" >&2
  cat "$dir/namespace.log" >&2
  exit 1
  ;;
inside) # run by start, in the new namespace
  dir=$2
  for path in "${overlaid[@]}"; do
    mount -t overlay overlay -o "lowerdir=/$path,upperdir=$dir/upper/$path,workdir=$dir/work/$path" "/$path"
  done
  # A copy, not an overlay, of /etc: what other tests do to this machine's accounts meanwhile
  # (their users, useradd's lock files) must not show through. Only the system accounts are kept,
  # as on a fresh Droplet, and no lock another process held at the moment of the copy.
  cp -a /etc/. "$dir/etc/"
  rm -f "$dir"/etc/*.lock
  mount --bind "$dir/etc" /etc
  # shellcheck disable=SC2016 # awk programs, not shell expansions
  {
    keep_lines passwd '$3 < 1000 || $3 == 65534'
    keep_lines group '$3 < 1000 || $3 == 65534'
    keep_lines shadow 'NR == FNR { keep[$1]; next } $1 in keep' /etc/passwd
    keep_lines gshadow 'NR == FNR { keep[$1]; next } $1 in keep' /etc/group
  }
  ip link set lo up
  touch "$dir/ready"
  exec sleep infinity
  ;;
run)
  holder=$2
  shift 2
  exec nsenter --target "$holder" --mount --net --wd="$PWD" -- "$@"
  ;;
stop)
  kill "$2"
  ;;
*)
  echo "usage: $0 start DIR | run PID CMD… | stop PID" >&2
  exit 2
  ;;
esac

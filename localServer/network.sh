#!/usr/bin/env bash
# The e2e server's network: a namespace of its own joined to this host by a veth pair, with
# forwarding and NAT so the guest reaches the package registries as a Droplet reaches the
# internet. The test's servers (ACME, OIDC, git) listen on the host end of the pair; nothing of
# this host's own network is shared with the guest.
#
# Usage: network.sh up | down     (down is safe to run any time, also after a crash)
# `up` prints the names and addresses it set up as key=value lines, for the test to use.
set -euo pipefail

readonly netns=jhc-e2e
readonly host_if=jhc-e2e-host
readonly guest_if=eth0
readonly subnet=10.213.57.0/24
readonly host_addr=10.213.57.1
readonly guest_addr=10.213.57.2
# DigitalOcean's metadata service sits off the Droplet at a link-local address; its stand-in gets
# a namespace of its own on a second link of the guest's, as on a Droplet.
readonly metadata_netns=jhc-e2e-metadata
readonly metadata_addr=169.254.169.254
readonly guest_link_local=169.254.0.2
readonly nft_table=jhc-e2e
readonly state_dir=/run/jhc-e2e

uplink() { ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }'; }

down() {
  ip netns del "$netns" 2>/dev/null || true
  ip netns del "$metadata_netns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  nft delete table ip "$nft_table" 2>/dev/null || true
  # Forwarding goes back to what it was before `up`, on the uplink only (never the global switch).
  if [[ -f $state_dir/uplink-forwarding ]]; then
    read -r dev value <"$state_dir/uplink-forwarding"
    sysctl -q -w "net.ipv4.conf.$dev.forwarding=$value" || true
    rm -f "$state_dir/uplink-forwarding"
  fi
}

up() {
  if ip -4 -o addr show | grep -qF " ${subnet%.*}."; then
    echo "network.sh: $subnet is already in use on this host (another e2e run, or a stale one: run 'network.sh down')" >&2
    exit 1
  fi
  local dev
  dev=$(uplink)
  [[ -n $dev ]] || { echo "network.sh: this host has no IPv4 default route for the guest to use" >&2; exit 1; }

  mkdir -p "$state_dir"
  echo "$dev $(sysctl -n "net.ipv4.conf.$dev.forwarding")" >"$state_dir/uplink-forwarding"

  ip netns add "$netns"
  ip netns add "$metadata_netns"
  ip link add "$host_if" type veth peer name "$guest_if" netns "$netns"
  ip link add eth1 netns "$netns" type veth peer name eth0 netns "$metadata_netns"
  ip addr add "$host_addr/24" dev "$host_if"
  ip link set "$host_if" up
  ip -n "$netns" link set lo up
  ip -n "$netns" addr add "$guest_addr/24" dev "$guest_if"
  ip -n "$netns" link set "$guest_if" up
  ip -n "$netns" route add default via "$host_addr"
  ip -n "$netns" addr add "$guest_link_local/16" dev eth1
  ip -n "$netns" link set eth1 up
  ip -n "$metadata_netns" link set lo up
  ip -n "$metadata_netns" addr add "$metadata_addr/16" dev eth0
  ip -n "$metadata_netns" link set eth0 up

  # IPv4 forwarding is decided by the interface a packet arrives on: the veth for the guest's
  # requests, the uplink for the replies.
  sysctl -q -w "net.ipv4.conf.$host_if.forwarding=1" "net.ipv4.conf.$dev.forwarding=1"
  nft -f - <<NFT
table ip $nft_table {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr $subnet oifname "$dev" masquerade
  }
}
NFT
  printf 'netns=%s\nhost_interface=%s\nhost_address=%s\nguest_address=%s\nmetadata_netns=%s\nmetadata_address=%s\nnft_table=%s\n' \
    "$netns" "$host_if" "$host_addr" "$guest_addr" "$metadata_netns" "$metadata_addr" "$nft_table"
}

case ${1:-} in
  up) down; up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

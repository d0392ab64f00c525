#!/usr/bin/env bash
# The one-machine test cluster of minisql-jepsen: hosts host0..host4 as network
# namespaces on a bridge, each with its own address, like five small servers on one
# switch. Partitions are iptables rules inside a namespace; delay and loss are tc netem
# on a namespace's eth0.
#
#   hosts.sh up       remove leftovers of an earlier run, then create the hosts
#   hosts.sh down     kill every process in the hosts, remove namespaces, veths, bridge
#   hosts.sh status   list the hosts and whether they exist (exit 0 when all do, 3 if not)
#   hosts.sh plan     print the plan without touching anything
#
# `up`, `status` and `plan` print one line per host: <node> <namespace> <address> <interface>.
# src/netns-hosts.ts runs this script; this is the only implementation.
#
# Environment (defaults in brackets):
#   JEPSEN_NET_PREFIX  [mjh]      prefix of every name made here: namespaces <prefix>-host<i>,
#                                 veths <prefix>-v<i>, bridge <prefix>-br. Lowercase letters and
#                                 digits, at most 10, starting with a letter.
#   JEPSEN_NET_SUBNET  [10.77.0]  first three octets of the /24: the bridge is .1, host i is .(10+i)
#   JEPSEN_HOST_COUNT  [5]        number of hosts, 1 to 50
#
# Needs root, iproute2, and iptables for the forward rule. `down` is idempotent and works
# after a crash: it removes whatever carries the prefix.
set -euo pipefail

prefix="${JEPSEN_NET_PREFIX:-mjh}"
subnet="${JEPSEN_NET_SUBNET:-10.77.0}"
count="${JEPSEN_HOST_COUNT:-5}"
# Bounds on the wait for a namespace's processes to die.
KILL_ROUNDS_MAX=50
KILL_ROUND_SECONDS=0.1

die() { echo "hosts: $*" >&2; exit 1; }

[[ "$prefix" =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "JEPSEN_NET_PREFIX must be 1-10 lowercase letters and digits starting with a letter, not '$prefix'"
[[ "$subnet" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die "JEPSEN_NET_SUBNET must be three octets like 10.77.0, not '$subnet'"
for octet in "${BASH_REMATCH[@]:1}"; do (( octet <= 255 )) || die "JEPSEN_NET_SUBNET octet $octet is over 255"; done
[[ "$count" =~ ^[0-9]+$ ]] && (( count >= 1 && count <= 50 )) || die "JEPSEN_HOST_COUNT must be 1 to 50, not '$count'"

bridge="$prefix-br"
bridge_address="$subnet.1"
forward_comment="minisql-jepsen $prefix"
namespace_of() { echo "$prefix-host$1"; }
veth_of() { echo "$prefix-v$1"; }
peer_of() { echo "$prefix-p$1"; }
address_of() { echo "$subnet.$((10 + $1))"; }

print_plan() {
  local i
  for ((i = 0; i < count; i++)); do
    echo "host$i $(namespace_of "$i") $(address_of "$i") eth0"
  done
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, bridges and firewalls need it)"
  command -v ip >/dev/null 2>&1 || die "ip (iproute2) is not installed"
}

has_iptables() { command -v iptables >/dev/null 2>&1; }

# Every namespace carrying the prefix, including hosts beyond the current count left by
# an earlier run with more hosts.
our_namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${prefix}-host[0-9]+$" || true
}

kill_namespace_processes() {
  local namespace="$1" round pids
  for ((round = 0; round < KILL_ROUNDS_MAX; round++)); do
    pids="$(ip netns pids "$namespace" 2>/dev/null || true)"
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    sleep "$KILL_ROUND_SECONDS"
  done
  echo "hosts: processes still in $namespace after $KILL_ROUNDS_MAX rounds: $(ip netns pids "$namespace" 2>/dev/null | tr '\n' ' ')" >&2
  return 1
}

down() {
  local namespace link failed=0 round
  for namespace in $(our_namespaces); do
    kill_namespace_processes "$namespace" || failed=1
    ip netns del "$namespace" 2>/dev/null || { echo "hosts: cannot delete namespace $namespace" >&2; failed=1; }
  done
  # A veth whose namespace end is gone disappears with it; these are ends left by an
  # `up` that stopped between creating a pair and moving its peer.
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${prefix}-[vp][0-9]+$" || true); do
    ip link del "$link" 2>/dev/null || true
  done
  if ip link show "$bridge" >/dev/null 2>&1; then
    ip link del "$bridge" || { echo "hosts: cannot delete bridge $bridge" >&2; failed=1; }
  fi
  if has_iptables; then
    for ((round = 0; round < 10; round++)); do
      iptables -w -D FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$forward_comment" -j ACCEPT 2>/dev/null || break
    done
  fi
  return "$failed"
}

up() {
  local i namespace veth peer clash
  down || die "could not remove the leftovers of an earlier run (see above)"
  clash="$(ip -o -4 addr show 2>/dev/null | awk -v net="$subnet." 'index($4, net) == 1 {print $2 " " $4}' || true)"
  [ -z "$clash" ] || die "subnet $subnet.0/24 is already used here ($clash); choose another with JEPSEN_NET_SUBNET"
  # From here on a failure removes whatever was made.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then echo "hosts: up failed, removing what was created" >&2; down || true; fi' EXIT
  ip link add "$bridge" type bridge
  ip addr add "$bridge_address/24" dev "$bridge"
  ip link set "$bridge" up
  for ((i = 0; i < count; i++)); do
    namespace="$(namespace_of "$i")"
    veth="$(veth_of "$i")"
    peer="$(peer_of "$i")"
    ip netns add "$namespace"
    ip -n "$namespace" link set lo up
    ip link add "$veth" type veth peer name "$peer"
    ip link set "$peer" netns "$namespace"
    ip -n "$namespace" link set "$peer" name eth0
    ip -n "$namespace" addr add "$(address_of "$i")/24" dev eth0
    ip -n "$namespace" link set eth0 up
    ip link set "$veth" master "$bridge"
    ip link set "$veth" up
  done
  # Bridged packets pass the root namespace's FORWARD chain when br_netfilter is loaded; a
  # DROP policy there (Docker sets one) would cut every host off from every other.
  if has_iptables && ! iptables -w -C FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$forward_comment" -j ACCEPT 2>/dev/null; then
    iptables -w -I FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$forward_comment" -j ACCEPT
  fi
  trap - EXIT
  print_plan
}

status() {
  local i namespace state missing=0
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    echo "bridge $bridge missing" >&2
    missing=1
  fi
  for ((i = 0; i < count; i++)); do
    namespace="$(namespace_of "$i")"
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$namespace"; then
      state=up
    else
      state=missing
      missing=1
    fi
    echo "host$i $namespace $(address_of "$i") eth0 $state"
  done
  [ "$missing" -eq 0 ] || exit 3
}

case "${1:-}" in
  up) require_root; up ;;
  down) require_root; down ;;
  status) require_root; status ;;
  plan) print_plan ;;
  *) echo "usage: $0 up|down|status|plan" >&2; exit 2 ;;
esac

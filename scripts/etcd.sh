#!/usr/bin/env bash
# Starts this host's etcd member, as listed in the cluster configuration.
#   THIS_NAME=host1 MINISQL_CONFIG=/etc/minisql.yaml scripts/etcd.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${THIS_NAME:?set THIS_NAME to the name of this host in the configuration}"
config="${MINISQL_CONFIG:-$root/config/five-hosts.yaml}"
# MINISQL_SKIP_SETUP=1: the code is already installed and built (a test harness starts many
# hosts from one checkout, and concurrent builds of it would collide).
if [ -z "${MINISQL_SKIP_SETUP:-}" ]; then
  "$root/scripts/install-etcd.sh"
  "$root/scripts/setup.sh"
fi
mapfile -t args < <(node "$root/packages/cluster/dist/src/main.js" etcd-args --config "$config")
[ "${#args[@]}" -gt 0 ] || exit 2
exec etcd "${args[@]}"

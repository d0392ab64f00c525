#!/usr/bin/env bash
# Starts this host's master, as listed in the cluster configuration.
#   THIS_NAME=host0 [THIS_IP=10.0.0.1x] MINISQL_CONFIG=/etc/minisql.yaml scripts/master.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${THIS_NAME:?set THIS_NAME to the name of this host in the configuration}"
# MINISQL_SKIP_SETUP=1: the code is already installed and built (a test harness starts many
# hosts from one checkout, and concurrent builds of it would collide).
[ -n "${MINISQL_SKIP_SETUP:-}" ] || "$root/scripts/setup.sh"
# --max-semi-space-size: as SERVER_NODE_FLAGS in packages/common/src/ready-process.ts.
exec node --max-semi-space-size=4 "$root/packages/master/dist/src/main.js" --config "${MINISQL_CONFIG:-$root/config/five-hosts.yaml}" "$@"

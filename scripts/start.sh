#!/usr/bin/env bash
# Starts the local cluster (one etcd member, a master, four regions, all on loopback, as
# described by config/local.yaml) and opens the REPL; everything stops when the REPL exits.
# Data and logs are kept in .minisql/local/. Arguments go to the REPL (try -- --help).
# Kill or restart a region from another terminal with scripts/cluster.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/install-etcd.sh"
cd "$root"
exec node packages/cluster/dist/src/main.js up --config "${MINISQL_CONFIG:-config/local.yaml}" -- "$@"

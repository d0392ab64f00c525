#!/usr/bin/env bash
# Opens the REPL on the cluster of the configuration (its masters). Arguments go to the REPL.
#   MINISQL_CONFIG=/etc/minisql.yaml scripts/client.sh [-e "SQL"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
exec node "$root/packages/client/dist/src/main.js" --config "${MINISQL_CONFIG:-$root/config/five-hosts.yaml}" "$@"

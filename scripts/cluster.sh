#!/usr/bin/env bash
# Acts on the running local cluster: scripts/cluster.sh kill region1 | restart region1 | ps
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
exec node packages/cluster/dist/src/main.js "$@" --config "${MINISQL_CONFIG:-config/local.yaml}"

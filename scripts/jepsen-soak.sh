#!/usr/bin/env bash
# The soak: minisql under every fault in turn, two runs of five minutes each: two copies
# per group (cas-register, linearizability) and three copies (a set with exact counts).
# Both always run; the exit status is 1 if either run was not valid.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
status=0
for config in minisql-soak.yaml minisql-soak-rf3.yaml; do
  echo "== soak: $config"
  node packages/jepsen/dist/src/main.js run --config "packages/jepsen/config/$config" "$@" || status=1
done
exit "$status"

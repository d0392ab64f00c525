#!/usr/bin/env bash
# Starts minisql on this machine and opens the REPL; everything stops when the REPL exits.
# For now that is one region server on loopback (data kept in .minisql/local/).
#   MINISQL_PORT   region port (default 7001)
# Arguments are passed to the REPL (try --help).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
port="${MINISQL_PORT:-7001}"
data="$root/.minisql/local/region1"
log="$root/.minisql/local/region1.log"
mkdir -p "$data"

ready="$(mktemp)"
node packages/region/dist/src/main.js --id region1 --listen "127.0.0.1:$port" --data-dir "$data" >"$ready" 2>"$log" &
region=$!
cleanup() { kill "$region" 2>/dev/null || true; wait "$region" 2>/dev/null || true; rm -f "$ready"; }
trap cleanup EXIT INT TERM

# Wait (at most 20 s) for the region to report its address.
for _ in $(seq 1 200); do
  if grep -q '^READY ' "$ready"; then break; fi
  if ! kill -0 "$region" 2>/dev/null; then echo "start: the region exited; its log:" >&2; tail -20 "$log" >&2; exit 1; fi
  sleep 0.1
done
grep -q '^READY ' "$ready" || { echo "start: the region did not become ready in 20 s; see $log" >&2; exit 1; }
echo "start: region1 is serving on 127.0.0.1:$port (log: $log)" >&2
node packages/client/dist/src/main.js --region "127.0.0.1:$port" "$@"

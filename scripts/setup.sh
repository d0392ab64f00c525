#!/usr/bin/env bash
# Installs what minisql needs on a machine with Node and npm: pnpm (into .tools/), the
# dependencies (native ones built from source against Node's headers), then builds the
# generated gRPC bindings and the TypeScript. Safe to run again: it only redoes what changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION=12.21.0

# One setup at a time per checkout: a benchmark started (through with-setup.sh) while the
# tests build would regenerate the gRPC bindings under the other's compiler, which then
# reads half-written files. The second waits for the first, then finds little to redo.
mkdir -p "$root/.tools"
exec 9>"$root/.tools/setup.lock"
flock 9

pnpm_bin="$root/.tools/node_modules/.bin/pnpm"
if [ ! -x "$pnpm_bin" ]; then
  echo "setup: installing pnpm $PNPM_VERSION into .tools/" >&2
  npm install --silent --no-fund --no-audit --prefix "$root/.tools" "pnpm@$PNPM_VERSION" >&2
fi

# Prebuilt binaries cannot always be downloaded; build native modules against local headers.
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

cd "$root"
stamp="node_modules/.minisql-install-stamp"
if [ ! -f "$stamp" ] || [ pnpm-lock.yaml -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: installing dependencies (the first run compiles better-sqlite3, about a minute)" >&2
  "$pnpm_bin" install --frozen-lockfile --reporter=append-only >&2
  touch "$stamp"
fi
echo "setup: building" >&2
"$pnpm_bin" run --silent build >&2

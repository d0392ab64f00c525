#!/usr/bin/env bash
# The test suite: unit tests of pure logic, and integration tests that start real region
# processes and talk to them over gRPC, with real SQLite files in temporary directories,
# and cluster tests with a real etcd, masters and regions as processes on loopback.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
# The cluster tests run a real etcd.
"$root/scripts/install-etcd.sh"
# The jepsen tests run namespace hosts (ip, tc, iptables) and a real sshd.
"$root/scripts/install-jepsen-deps.sh"
cd "$root"
mapfile -t files < <(find packages/*/dist/test -name '*.test.js' | sort)
echo "test: ${#files[@]} test files" >&2
exec node --test --test-concurrency=2 "$@" "${files[@]}"

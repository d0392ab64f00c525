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
mapfile -t files < <(find packages/*/dist/test -name '*.test.js' ! -name 'jepsen-*-run.test.js' | sort)
mapfile -t runs < <(find packages/jepsen/dist/test -name 'jepsen-*-run.test.js' | sort)
echo "test: ${#files[@]} test files, then ${#runs[@]} files of Jepsen runs on namespace hosts" >&2
node --test --test-concurrency=2 "$@" "${files[@]}"
# Whole Jepsen runs (five hosts, a database and faults each) one at a time: they need the
# machine's two cores to themselves to keep their timing.
exec node --test --test-concurrency=1 "$@" "${runs[@]}"

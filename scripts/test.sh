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
# The status page is tested in a real headless browser.
"$root/scripts/install-browser.sh"
cd "$root"
mapfile -t files < <(find packages/*/dist/test -name '*.test.js' ! -name 'jepsen-*-run.test.js' ! -name 'hostile-*.test.js' | sort)
mapfile -t alone < <(find packages/*/dist/test \( -name 'hostile-*.test.js' -o -name 'jepsen-*-run.test.js' \) | sort)
echo "test: ${#files[@]} test files, then ${#alone[@]} files one at a time (hostile workloads, Jepsen runs on namespace hosts)" >&2
node --test --test-concurrency=2 "$@" "${files[@]}"
# The hostile-workload tier (hundreds of MiB through a cluster) and whole Jepsen runs (five
# hosts, a database and faults each) one at a time: they need the machine's two cores to
# themselves, and would starve the lease renewals of whatever ran beside them.
exec node --test --test-concurrency=1 "$@" "${alone[@]}"

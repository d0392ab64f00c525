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
# Every test removes what it creates: a temporary folder of the suite's (minisql-*) made
# after this mark and still there after a phase fails the run, naming it. The shared
# port registry (minisql-test-ports) is meant to stay, and so are Jepsen stores kept on
# request (JEPSEN_KEEP_RUNS).
tmp="${TMPDIR:-/tmp}"
mark="$(mktemp "$tmp/minisql-test-mark.XXXXXX")"
trap 'rm -f "$mark"' EXIT
check_nothing_left() {
  local left
  left="$(find "$tmp" -maxdepth 1 -name 'minisql-*' -newer "$mark" ! -name 'minisql-test-ports' ! -path "$mark" \
    ${JEPSEN_KEEP_RUNS:+! -name 'minisql-jepsen-run-*'})"
  if [[ -n "$left" ]]; then
    echo "test: $1 left these behind in $tmp (a test that does not remove what it made):" >&2
    echo "$left" >&2
    exit 1
  fi
}
echo "test: ${#files[@]} test files, then ${#alone[@]} files one at a time (hostile workloads, Jepsen runs on namespace hosts)" >&2
node --test --test-concurrency=2 "$@" "${files[@]}"
check_nothing_left "the test files"
# The hostile-workload tier (hundreds of MiB through a cluster) and whole Jepsen runs (five
# hosts, a database and faults each) one at a time: they need the machine's two cores to
# themselves, and would starve the lease renewals of whatever ran beside them.
node --test --test-concurrency=1 "$@" "${alone[@]}"
check_nothing_left "the hostile tier and the Jepsen runs"

#!/usr/bin/env bash
# One host of the compose layout: its etcd member in the background, then its role
# (scripts/master.sh or scripts/region.sh), as a person would start them on a real host.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
role="${1:?usage: docker/host.sh master|region}"
"$root/scripts/etcd.sh" &
etcd_pid=$!
trap 'kill "$etcd_pid" 2>/dev/null || true' EXIT
"$root/scripts/$role.sh"

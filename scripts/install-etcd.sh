#!/usr/bin/env bash
# Installs Debian's etcd-server when etcd is missing. The package may start a system etcd
# on the default ports; minisql runs its own, so that one is stopped.
set -euo pipefail
if command -v etcd >/dev/null 2>&1; then exit 0; fi
exec "$(dirname "$0")/apt-install.sh" "for minisql's membership and metadata" etcd etcd-server

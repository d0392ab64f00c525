#!/usr/bin/env bash
# Installs Debian's PostgreSQL 15 server binaries when missing, for `npm run bench:compare`,
# which runs its own primary and synchronous standby. The package may start a system
# cluster on port 5432; the bench runs its own, so that one is stopped.
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/postgres ]; then exit 0; fi
exec "$(dirname "$0")/apt-install.sh" "for the PostgreSQL side of bench:compare" postgresql postgresql-15

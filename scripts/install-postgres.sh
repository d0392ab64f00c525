#!/usr/bin/env bash
# Installs Debian's PostgreSQL 15 server binaries when missing (for `npm run bench:compare`,
# which runs its own primary and synchronous standby; needs root or sudo).
set -euo pipefail
if [ -x /usr/lib/postgresql/15/bin/postgres ]; then exit 0; fi
echo "setup: installing PostgreSQL 15 (Debian package postgresql-15)" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql-15 >&2
# The package may start a system cluster on port 5432; the bench runs its own.
if command -v systemctl >/dev/null 2>&1; then $sudo_cmd systemctl disable --now postgresql >/dev/null 2>&1 || true; fi

#!/usr/bin/env bash
# Installs Debian packages for minisql's setup (needs root or sudo), one way for every
# installer script. Usage: apt-install.sh REASON SERVICE PACKAGE...
#   REASON   said on stderr: what the packages are for
#   SERVICE  a system service the packages start that minisql runs its own copy of
#            (stopped and disabled after the install), or "" for none
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: apt-install.sh REASON SERVICE PACKAGE..." >&2
  exit 2
fi
reason=$1
service=$2
shift 2
echo "setup: installing $* (Debian packages, $reason)" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >&2
if [ -n "$service" ] && command -v systemctl >/dev/null 2>&1; then
  $sudo_cmd systemctl disable --now "$service" >/dev/null 2>&1 || true
fi

#!/usr/bin/env bash
# Installs Debian's etcd-server when etcd is missing (needs root or sudo).
set -euo pipefail
if command -v etcd >/dev/null 2>&1; then exit 0; fi
echo "setup: installing etcd (Debian package etcd-server)" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq etcd-server >&2
# The package may start a system etcd on the default ports; minisql runs its own.
if command -v systemctl >/dev/null 2>&1; then $sudo_cmd systemctl disable --now etcd >/dev/null 2>&1 || true; fi

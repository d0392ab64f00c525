#!/usr/bin/env bash
# Installs what the minisql-jepsen tests need when it is missing (needs root or sudo):
# iproute2 (ip, tc) and iptables for the namespace hosts and their faults, and
# openssh-server (sshd, ssh-keygen) for the SSH remote's tests against a real server.
set -euo pipefail
packages=()
command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || packages+=(iproute2)
command -v iptables >/dev/null 2>&1 || packages+=(iptables)
{ [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1; } || packages+=(openssh-server)
if [ "${#packages[@]}" -eq 0 ]; then exit 0; fi
echo "setup: installing ${packages[*]} (Debian packages, for the jepsen tests)" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${packages[@]}" >&2
# The package may start a system sshd on port 22; the tests run their own.
if command -v systemctl >/dev/null 2>&1; then $sudo_cmd systemctl disable --now ssh >/dev/null 2>&1 || true; fi

#!/usr/bin/env bash
# Installs what the minisql-jepsen tests need when it is missing: iproute2 (ip, tc) and
# iptables for the namespace hosts and their faults, and openssh-server (sshd, ssh-keygen)
# for the SSH remote's tests against a real server. The package may start a system sshd
# on port 22; the tests run their own, so that one is stopped.
set -euo pipefail
packages=()
command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || packages+=(iproute2)
command -v iptables >/dev/null 2>&1 || packages+=(iptables)
{ [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1; } || packages+=(openssh-server)
if [ "${#packages[@]}" -eq 0 ]; then exit 0; fi
exec "$(dirname "$0")/apt-install.sh" "for the jepsen tests" ssh "${packages[@]}"

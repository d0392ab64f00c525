#!/usr/bin/env bash
# Installs Debian's chromium when it is missing (needs root or sudo): the status page is
# tested in a real headless browser (packages/cluster/test/status-page-browser.test.ts).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "setup: installing chromium (a Debian package, for the status page's browser test)" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >&2

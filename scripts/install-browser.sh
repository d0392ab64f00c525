#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the status page is tested in a real
# headless browser (packages/cluster/test/status-page-browser.test.ts).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
exec "$(dirname "$0")/apt-install.sh" "for the status page's browser test" "" chromium

#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the end-to-end tests (playwright-core drives it; browsers are
# never downloaded by a test tool). Installs it with apt when running as root; otherwise says what to do.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian chromium (apt-get install -y chromium)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  echo "chromium: $("$CHROMIUM" --version)"
  exit 0
fi
cat >&2 <<MSG
Chromium is needed for the end-to-end tests and was not found at $CHROMIUM.
Install Debian's package as root:   sudo apt-get update && sudo apt-get install -y chromium
or point CHROMIUM_PATH at an existing Chromium/Chrome binary and run the tests again.
MSG
exit 1

#!/usr/bin/env bash
# Makes sure Debian's Firefox ESR is installed for the end-to-end tests (puppeteer-core drives it over
# WebDriver BiDi; browsers are never downloaded by a test tool). Installs it with apt when running as root;
# otherwise says what to do.
set -euo pipefail
FIREFOX="${FIREFOX_PATH:-/usr/bin/firefox-esr}"
if [ -x "$FIREFOX" ]; then
  echo "firefox: $("$FIREFOX" --version 2>/dev/null || echo "$FIREFOX")"
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing Debian firefox-esr (apt-get install -y firefox-esr)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq firefox-esr >/dev/null
  echo "firefox: $("$FIREFOX" --version)"
  exit 0
fi
cat >&2 <<MSG
Firefox is needed for the end-to-end tests and was not found at $FIREFOX.
Install Debian's package as root:   sudo apt-get update && sudo apt-get install -y firefox-esr
or point FIREFOX_PATH at an existing Firefox binary and run the tests again.
MSG
exit 1

#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing. The
# tests drive it with playwright-core; no browser is ever downloaded.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "Chromium is missing: run 'sudo apt-get install -y chromium' and retry." >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null

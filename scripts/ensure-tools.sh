#!/usr/bin/env bash
# Checks the toolchain a fresh Debian machine needs for `make test`: Go (from
# the module proxy's toolchain or /usr/local/go), Node.js 20+ with npm, make.
set -euo pipefail
need() { command -v "$1" >/dev/null 2>&1; }
if ! need make || ! need git; then
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq make git >/dev/null
	fi
fi
if ! need go; then
	if [ -x /usr/local/go/bin/go ]; then
		echo "Go is in /usr/local/go/bin: add it to PATH" >&2
	fi
	echo "Go 1.26 or newer is required (https://go.dev/dl/)." >&2
	exit 1
fi
if ! need node || ! need npm; then
	if [ "$(id -u)" = 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
	else
		echo "Node.js 20+ and npm are required for the web client." >&2
		exit 1
	fi
fi
node -e 'const [maj,min]=process.versions.node.split(".").map(Number); if (maj<20||(maj===20&&min<19)) { console.error("Node.js >= 20.19 is required, found "+process.versions.node); process.exit(1) }'

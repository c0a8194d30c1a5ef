#!/usr/bin/env bash
# Provides a program from a Debian package for the tests, without
# installing the package, and prints the program's path:
#
#   scripts/ensure-deb-binary.sh nginx usr/sbin/nginx   # nginx -t on docs/deploy/nginx.conf
#   scripts/ensure-deb-binary.sh caddy usr/bin/caddy    # caddy validate on docs/deploy/Caddyfile
#
# The package is downloaded with apt-get and unpacked into .tools/PACKAGE:
# its maintainer scripts never run, so no service is started on the
# machine. Missing shared libraries are installed with apt (as root).
set -euo pipefail
PKG=$1
REL=$2
cd "$(dirname "$0")/.."
ROOT="$PWD/.tools/$PKG"
BIN="$ROOT/$REL"
if [ ! -x "$BIN" ]; then
	echo "unpacking Debian's $PKG package into $ROOT (for the deploy tests only)" >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# apt-get download needs the package lists; a fresh machine may have none.
	if ! (cd "$tmp" && apt-get download "$PKG" >/dev/null 2>&1); then
		if [ "$(id -u)" = 0 ]; then
			apt-get update -qq >&2
		fi
		(cd "$tmp" && apt-get download "$PKG" >/dev/null)
	fi
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	dpkg -x "$tmp"/"$PKG"_*.deb "$ROOT"
fi
if ldd "$BIN" 2>/dev/null | grep -q "not found"; then
	libs=$(ldd "$BIN" | awk '/not found/ {print $1}' | tr '\n' ' ')
	if [ "$(id -u)" != 0 ]; then
		echo "$PKG needs libraries ($libs): run 'sudo apt-get install -y libssl3 libpcre2-8-0 zlib1g libcrypt1'" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl3 libpcre2-8-0 zlib1g libcrypt1 >/dev/null
fi
echo "$BIN"

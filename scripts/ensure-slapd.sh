#!/usr/bin/env bash
# Installs OpenLDAP's slapd (Debian packages slapd and ldap-utils) for the
# LDAP tests, which start their own slapd on a loopback port with a
# temporary configuration, and prints the path of the slapd binary.
# Installing needs root (CI runs as root); the package's own service is kept
# from starting, so no system LDAP server is left running.
set -euo pipefail
SLAPD=/usr/sbin/slapd
if [ ! -x "$SLAPD" ]; then
	echo "installing slapd and ldap-utils with apt-get" >&2
	guard=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		# Tell invoke-rc.d not to start services during this install.
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		guard=/usr/sbin/policy-rc.d
	fi
	trap '[ -n "$guard" ] && rm -f "$guard"' EXIT
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends slapd ldap-utils >&2; then
		apt-get update -q >&2
		apt-get install -y -q --no-install-recommends slapd ldap-utils >&2
	fi
fi
echo "$SLAPD"

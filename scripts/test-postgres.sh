#!/usr/bin/env bash
# Runs tests against a throwaway PostgreSQL cluster: installs Debian's
# postgresql package when no initdb is found, creates a cluster in a
# temporary directory (trust auth, loopback only, socket in the same
# directory, fsync off: nothing here needs to survive a crash), exports
# PARLEY_TEST_POSTGRES and runs the command given (by default the store
# conformance suite and the HTTP integration tests), then stops the cluster
# and removes its directory whatever happens. The default `main` cluster of
# the machine is never touched.
#
#   scripts/test-postgres.sh                       # the default suites
#   scripts/test-postgres.sh go test -run TestX ./internal/store/...
set -euo pipefail

initdb_bin() { ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1; }

INITDB=$(initdb_bin || true)
if [ -z "$INITDB" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "PostgreSQL is missing: run 'sudo apt-get install -y postgresql' and retry." >&2
		exit 1
	fi
	echo "installing PostgreSQL (Debian package postgresql)..." >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq postgresql >/dev/null
	INITDB=$(initdb_bin)
fi
PGBIN=$(dirname "$INITDB")

# As root, the cluster belongs to the postgres user (initdb refuses root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

D=$(mktemp -d /tmp/parley-pgtest.XXXXXX)
if [ "$(id -u)" = 0 ]; then
	chown postgres:postgres "$D"
fi
cleanup() {
	as_pg "$PGBIN/pg_ctl" -D "$D/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

as_pg "$PGBIN/initdb" -D "$D/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$D/initdb.log" 2>&1 ||
	{ cat "$D/initdb.log" >&2; exit 1; }

# Tests need no durability; PG_DURABLE=1 keeps PostgreSQL's defaults (fsync,
# synchronous commit, full page writes) for benchmarks of acknowledged writes.
DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${PG_DURABLE:-}" = 1 ]; then
	DURABILITY=""
fi

# The machine is shared: pick a random loopback port and retry if taken.
started=""
for _ in 1 2 3 4 5 6 7 8; do
	PORT=$((20000 + RANDOM % 30000))
	if as_pg "$PGBIN/pg_ctl" -D "$D/data" -l "$D/pg.log" -w -t 30 \
		-o "-p $PORT -c listen_addresses=127.0.0.1 -k $D $DURABILITY -c max_connections=200" \
		start >/dev/null 2>&1; then
		started=1
		break
	fi
done
if [ -z "$started" ]; then
	echo "could not start PostgreSQL:" >&2
	cat "$D/pg.log" >&2 || true
	exit 1
fi

export PARLEY_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
# What a fault test needs to restart this cluster under load (pg_ctl
# restart keeps the options above); as root, pg_ctl runs as PG_USER.
export PARLEY_TEST_PG_CTL="$PGBIN/pg_ctl" PARLEY_TEST_PG_DATA="$D/data" PARLEY_TEST_PG_LOG="$D/pg.log" PARLEY_TEST_PG_USER=""
if [ "$(id -u)" = 0 ]; then
	PARLEY_TEST_PG_USER=postgres
fi
echo "throwaway PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2

if [ $# -eq 0 ]; then
	set -- "${GO:-go}" test -count=1 ./internal/store/...
fi
"$@"

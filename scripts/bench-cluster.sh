#!/usr/bin/env bash
# Runs `parley bench` against nodes on PostgreSQL and NATS: creates an empty
# database on the server named by PARLEY_TEST_POSTGRES, starts a nats-server
# on a free loopback port, and passes --database and --nats to the bench
# (add --nodes 2 --cross for a cluster). Run it under scripts/test-postgres.sh
# with PG_DURABLE=1 so that acknowledgements are durable:
#
#   make build
#   PG_DURABLE=1 scripts/test-postgres.sh scripts/bench-cluster.sh --suite standard --only dm --preload 0
#   PG_DURABLE=1 scripts/test-postgres.sh scripts/bench-cluster.sh --suite standard --only cross --preload 0 --nodes 2 --cross
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PARLEY_TEST_POSTGRES:?run under scripts/test-postgres.sh}"
PARLEY=${PARLEY:-bin/parley}
NATS=$(GO=${GO:-go} scripts/ensure-nats-server.sh)
NAME="bench_$$_$RANDOM"
psql "$PARLEY_TEST_POSTGRES" -qc "CREATE DATABASE $NAME"
DB="${PARLEY_TEST_POSTGRES%%/postgres\?*}/$NAME?sslmode=disable"
# nats-server on a free port below the kernel's ephemeral range (32768+),
# where the machine's many loopback connections cannot already hold it; a
# server that exits (port taken) or never listens is retried on another
# port, and the run stops if none starts: nodes given a dead --nats URL
# fail their start-up. (Its log, not a connect to the port, says it is
# ready: the port may be another process's.)
NLOG=$(mktemp /tmp/parley-bench-nats.XXXXXX)
NPID=""
trap '[ -z "$NPID" ] || kill $NPID 2>/dev/null || true; rm -f "$NLOG"' EXIT
for _ in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 12000))
	"$NATS" -a 127.0.0.1 -p "$PORT" >"$NLOG" 2>&1 &
	NPID=$!
	for _ in $(seq 100); do
		kill -0 "$NPID" 2>/dev/null || break
		if grep -q "Server is ready" "$NLOG"; then break 2; fi
		sleep 0.1
	done
	kill "$NPID" 2>/dev/null || true
	wait "$NPID" 2>/dev/null || true
	echo "nats-server did not start on port $PORT:" >&2
	cat "$NLOG" >&2
	NPID=""
done
if [ -z "$NPID" ]; then
	echo "bench-cluster.sh: could not start nats-server" >&2
	exit 1
fi
"$PARLEY" bench --database "$DB" --nats "nats://127.0.0.1:$PORT" "$@"

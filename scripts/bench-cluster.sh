#!/usr/bin/env bash
# Runs `parley bench` against nodes on PostgreSQL and NATS: creates an empty
# database on the server named by PARLEY_TEST_POSTGRES, starts a nats-server
# on a free loopback port, and passes --database and --nats to the bench
# (add --nodes 2 --cross for a cluster). Run it under scripts/test-postgres.sh
# with PG_DURABLE=1 so that acknowledgements are durable:
#
#   make build
#   PG_DURABLE=1 scripts/test-postgres.sh scripts/bench-cluster.sh --suite standard --only dm --preload 0
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PARLEY_TEST_POSTGRES:?run under scripts/test-postgres.sh}"
PARLEY=${PARLEY:-bin/parley}
NATS=$(GO=${GO:-go} scripts/ensure-nats-server.sh)
NAME="bench_$$_$RANDOM"
psql "$PARLEY_TEST_POSTGRES" -qc "CREATE DATABASE $NAME"
DB="${PARLEY_TEST_POSTGRES%%/postgres\?*}/$NAME?sslmode=disable"
PORT=$((40000 + RANDOM % 10000))
"$NATS" -a 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
NPID=$!
trap 'kill $NPID 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
	sleep 0.1
done
"$PARLEY" bench --database "$DB" --nats "nats://127.0.0.1:$PORT" "$@"

#!/usr/bin/env bash
# Installs the nats-server binary the NATS bus tests start (into .tools/bin,
# once per version) and prints its path. GO may name the go command.
set -euo pipefail
VERSION=v2.15.2
cd "$(dirname "$0")/.."
BIN="$PWD/.tools/bin"
if [ ! -x "$BIN/nats-server" ] || [ "$(cat "$BIN/.nats-server.version" 2>/dev/null)" != "$VERSION" ]; then
	mkdir -p "$BIN"
	echo "installing nats-server $VERSION into $BIN (about a minute on a cold cache)" >&2
	GOBIN="$BIN" "${GO:-go}" install "github.com/nats-io/nats-server/v2@$VERSION"
	echo "$VERSION" >"$BIN/.nats-server.version"
fi
echo "$BIN/nats-server"

#!/usr/bin/env bash
# Installs versitygw, the S3-compatible server (Apache-2.0) the S3 blob store
# tests start (into .tools/bin, once per version), and prints its path. GO
# may name the go command.
set -euo pipefail
VERSION=v1.8.0
cd "$(dirname "$0")/.."
BIN="$PWD/.tools/bin"
if [ ! -x "$BIN/versitygw" ] || [ "$(cat "$BIN/.versitygw.version" 2>/dev/null)" != "$VERSION" ]; then
	mkdir -p "$BIN"
	echo "installing versitygw $VERSION into $BIN (a few minutes on a cold cache)" >&2
	GOBIN="$BIN" "${GO:-go}" install "github.com/versity/versitygw/cmd/versitygw@$VERSION"
	echo "$VERSION" >"$BIN/.versitygw.version"
fi
echo "$BIN/versitygw"

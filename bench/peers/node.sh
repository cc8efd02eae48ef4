#!/usr/bin/env bash
# The Node `ws` peer: node.sh PORT MODE (install.sh runs `npm ci` first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -d "$here/node/node_modules/ws" ] || { echo "node.sh: run bench/peers/install.sh first" >&2; exit 1; }
exec node "$here/node/server.mjs" "$@"

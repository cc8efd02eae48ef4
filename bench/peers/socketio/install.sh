#!/usr/bin/env bash
# Installs the Socket.IO peer's packages (socket.io and socket.io-client 4.8,
# exact versions from the committed package-lock.json) into node_modules/
# here, which git ignores. Idempotent: npm ci runs only when node_modules is
# missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "socketio/install: npm is not installed" >&2; exit 1; }
if [ ! -d node_modules/socket.io ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  start=$(date +%s)
  npm ci --no-audit --no-fund --loglevel=error
  echo "socketio/install: npm ci in $(( $(date +%s) - start )) s" >&2
fi

#!/usr/bin/env bash
# Herald's own examples as a peer: herald.sh PORT MODE, MODE echo | broadcast.
# Runs examples/echo_server or examples/broadcast from $HERALD_BUILD_DIR
# (default build/release) with a 16 MiB message limit and $HERALD_THREADS
# event loops (default 1, like the single-threaded peers).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: herald.sh PORT echo|broadcast" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${HERALD_BUILD_DIR:-$root/build/release}"
case "$2" in
  echo) bin="$build/examples/echo_server" ;;
  broadcast) bin="$build/examples/broadcast" ;;
  *) echo "herald.sh: MODE must be echo or broadcast" >&2; exit 2 ;;
esac
[ -x "$bin" ] || { echo "herald.sh: $bin not built (set HERALD_BUILD_DIR?)" >&2; exit 1; }
exec "$bin" --host 127.0.0.1 --port "$1" --max-message-bytes $((16 << 20)) --threads "${HERALD_THREADS:-1}"

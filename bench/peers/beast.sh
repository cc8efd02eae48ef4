#!/usr/bin/env bash
# The beast peer: beast.sh PORT MODE (build it with bench/peers/build.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${HERALD_PEERS_BUILD_DIR:-$root/build/peers}/beast_server"
[ -x "$bin" ] || { echo "beast.sh: $bin not built: run bench/peers/install.sh and build.sh" >&2; exit 1; }
exec "$bin" "$@"

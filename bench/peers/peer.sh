#!/usr/bin/env bash
# One entry point for every peer server: peer.sh NAME PORT MODE
#
# NAME is herald, beast, websocketpp or node (the scripts beside this one),
# or any NAME for which HERALD_PEER_CMD_<NAME> is set (NAME upper-cased,
# '-' as '_'): a command taking PORT MODE, for a server built outside the
# repository, e.g. HERALD_PEER_CMD_UWS=/opt/uws/uws_server. The variable
# wins over a built-in script of the same name.
#
# peer.sh --list prints the names available: the built-ins, then the
# HERALD_PEER_CMD_* ones.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
builtins=(herald beast websocketpp node)

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${builtins[@]}"
  env | sed -n 's/^HERALD_PEER_CMD_\([A-Za-z0-9_]*\)=.*/\1/p' | tr 'A-Z_' 'a-z-'
  exit 0
fi
[ $# -eq 3 ] || { echo "usage: peer.sh NAME PORT echo|broadcast   (or peer.sh --list)" >&2; exit 2; }

name="$1"
var="HERALD_PEER_CMD_$(printf '%s' "$name" | tr 'a-z-' 'A-Z_')"
if [ -n "${!var:-}" ]; then
  # Word-split on purpose: the variable may hold a command with arguments.
  # shellcheck disable=SC2086
  exec ${!var} "$2" "$3"
fi
for b in "${builtins[@]}"; do
  [ "$b" = "$name" ] && exec "$here/$name.sh" "$2" "$3"
done
echo "peer.sh: unknown peer '$name' (set $var to a command taking PORT MODE)" >&2
exit 2

#!/usr/bin/env bash
# Installs what the peer servers need: Boost (Beast) and websocketpp headers
# from Debian, and the Node `ws` package from the committed lock file.
# Idempotent and quick when everything is there: dpkg is asked first and
# apt-get runs only for what is missing.
set -euo pipefail
cd "$(dirname "$0")"

# websocketpp uses Boost.Asio by default (libboost-dev), so standalone asio
# (libasio-dev) is not needed.
debs=(libboost-dev libwebsocketpp-dev)

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "peers/install: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node/node_modules ] || [ node/package-lock.json -nt node/node_modules/.package-lock.json ]; then
  (cd node && npm ci --no-audit --no-fund --loglevel=error)
fi

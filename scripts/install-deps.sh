#!/usr/bin/env bash
# Installs the Debian and npm packages Herald needs to build and test.
# Idempotent and quick when everything is already there: it asks dpkg first
# and only calls apt-get for what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config
  libssl-dev zlib1g-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libsimdjson-dev libsqlite3-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libhiredis-dev
  libprotobuf-dev protobuf-compiler
  python3 python3-websockets python3-jwt python3-cryptography
  chromium redis-server
)

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# Node.js: any install that gives `node` and `npm` will do (NodeSource's
# nodejs package bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node packages from the committed lock files: the interop tests (ws; the
# centrifuge SDK with ws) and the web apps (Vite, TypeScript, centrifuge,
# uPlot, and playwright-core for their browser tests, which drive Debian's
# /usr/bin/chromium; no browser is downloaded).
for dir in tests/interop/node tests/interop/centrifuge web; do
  if [ -f "$dir/package-lock.json" ]; then
    if [ ! -d "$dir/node_modules" ] || \
       [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
done

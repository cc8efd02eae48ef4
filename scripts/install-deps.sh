#!/usr/bin/env bash
# Installs what Herald needs to build and test: Debian packages (dpkg-dev,
# lintian and debootstrap for `make package` and its test), the npm
# packages of the interop tests and web apps (from their lock files), and the
# SDK programs of the SDK interop tests (tests/interop/sdks): the Go program
# built against the go.sum-pinned centrifuge-go, the Python SDK in a venv from
# hash-pinned requirements.txt, and the Java program if its install.sh is there.
# Idempotent and quick when everything is already there: it asks dpkg first
# and only calls apt-get for what is missing; it rebuilds an SDK program only
# when its sources or pins are newer than what it built.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config
  libssl-dev zlib1g-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libsimdjson-dev libsqlite3-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libhiredis-dev
  libprotobuf-dev protobuf-compiler
  python3 python3-venv python3-websockets python3-jwt python3-cryptography python3-yaml
  chromium redis-server
  dpkg-dev lintian debootstrap
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

# promtool checks docs/prometheus/alerts.yml in
# tests/integration/server/observability_test.py. Debian ships it only inside
# its prometheus package, whose installation also creates a system user and
# starts a Prometheus daemon on port 9090: a test dependency should not do
# that to a developer's machine. So take promtool alone out of the package
# (apt-get download needs no root; dpkg-deb extracts it) into build/tools/.
# Without it the test skips its promtool cases and says so.
promtool=build/tools/prometheus/usr/bin/promtool
if [ ! -x "$promtool" ] && ! command -v promtool >/dev/null; then
  tmp=$(mktemp -d)
  if out=$(cd "$tmp" && apt-get download prometheus 2>&1) &&
     mkdir -p "$tmp/x" && dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp/x" ./usr/bin/promtool; then
    mkdir -p "$(dirname "$promtool")"
    mv "$tmp/x/usr/bin/promtool" "$promtool"
    echo "install-deps: extracted $promtool from $(basename "$tmp"/prometheus_*.deb)"
  else
    echo "install-deps: WARNING: could not take promtool from Debian's prometheus package; observability_test will skip its promtool checks. $out" >&2
  fi
  rm -rf "$tmp"
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

# SDK interop programs (tests/interop/sdks/README.md). A program that could
# not be built makes its ctest fail with a message naming this script.
sdks=tests/interop/sdks

# Go: the installed toolchain only (GOTOOLCHAIN=local, nothing downloaded but
# the modules go.sum pins, from the Go module proxy); go.mod's `go` line says
# which version at least. Debian 12's golang-go (1.19) is too old for it.
gomod="$sdks/go/go.mod"
gobin="$sdks/go/bin/sdk-go"
go_cmd=$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)
if [ -z "$go_cmd" ]; then
  echo "install-deps: WARNING: no Go toolchain; the interop_sdk_go_* tests need Go >= $(awk '$1=="go"{print $2}' "$gomod") (not Debian 12's golang-go 1.19)" >&2
elif [ ! -x "$gobin" ] || [ -n "$(find "$sdks/go" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$gobin")" ]; then
  echo "install-deps: building $gobin ($("$go_cmd" version))"
  (cd "$sdks/go" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" "$go_cmd" build -o bin/sdk-go .)
fi

# Python: a venv of Debian's /usr/bin/python3 (python3-venv above), the SDK
# and its dependencies pinned by hash. Reinstalled when requirements.txt changes.
venv="$sdks/python/.venv"
if ! cmp -s "$sdks/python/requirements.txt" "$venv/installed-requirements.txt"; then
  echo "install-deps: installing the Python SDK into $venv"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$sdks/python/requirements.txt"
  cp "$sdks/python/requirements.txt" "$venv/installed-requirements.txt"
fi

# Java: its own script, when it is there.
if [ -f "$sdks/java/install.sh" ]; then
  bash "$sdks/java/install.sh"
fi

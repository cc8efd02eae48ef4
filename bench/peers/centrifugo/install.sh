#!/usr/bin/env bash
# Builds Centrifugo v6 from its Go module into a cache outside the repository,
# for bench/compare_messaging.py. Never committed, never on PATH.
#
#   bench/peers/centrifugo/install.sh          # prints the binary's path on its last line
#
# CENTRIFUGO_VERSION (default v6.9.1, the version this machine's Go module
# proxy serves) and HERALD_BENCH_CACHE (default ~/.cache/herald-bench) may be
# overridden. Idempotent: when $HERALD_BENCH_CACHE/centrifugo-VERSION/centrifugo
# exists and its build information (`go version -m`) names the module at
# VERSION, nothing is built. (`centrifugo version` prints v0.0.0 for a
# `go install` build: the release version is set by their release ldflags.)
# GOTOOLCHAIN=local: build with the installed Go, never download another.
set -euo pipefail

version="${CENTRIFUGO_VERSION:-v6.9.1}"
cache="${HERALD_BENCH_CACHE:-$HOME/.cache/herald-bench}"
bindir="$cache/centrifugo-$version"
bin="$bindir/centrifugo"

built_version() {
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/centrifugal/centrifugo/v6" { print $3 }'
}

if [ -x "$bin" ] && [ "$(built_version "$bin")" = "$version" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "centrifugo/install: go is not installed" >&2; exit 1; }
mkdir -p "$bindir"
echo "centrifugo/install: go install github.com/centrifugal/centrifugo/v6@$version into $bindir (the first build takes minutes)" >&2
start=$(date +%s)
GOTOOLCHAIN=local GOBIN="$bindir" go install "github.com/centrifugal/centrifugo/v6@$version"
echo "centrifugo/install: built in $(( $(date +%s) - start )) s" >&2
[ "$(built_version "$bin")" = "$version" ] || { echo "centrifugo/install: $bin is not $version" >&2; exit 1; }
echo "$bin"

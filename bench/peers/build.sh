#!/usr/bin/env bash
# Configures and builds the C++ peer servers into build/peers (Release).
# Run install.sh first for their Debian packages; the Node peer needs no build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cmake -S "$root/bench/peers" -B "$root/build/peers" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++
cmake --build "$root/build/peers" -j "${JOBS:-2}"

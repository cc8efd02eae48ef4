#!/usr/bin/env bash
# What TLS and permessage-deflate cost the server, per connection and per
# message: starts examples/echo_server in each configuration, drives it with
# `herald bench`, and reads the server's memory (VmRSS, VmHWM) and CPU time
# from /proc. Prints one table row per configuration.
#
#   bench/cost/measure_costs.sh [BUILD_DIR] [CONNECTIONS] [SIZE]
set -euo pipefail
build=${1:-build/release}
conns=${2:-1000}
size=${3:-1024}
server=$build/examples/echo_server
herald=$build/src/app/herald
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT
"$(dirname "$0")/../../tests/support/make_certs.sh" "$certs"

kib() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$2/status"; }

run() {  # name, server flags, bench flags
  local name=$1 sflags=$2 bflags=$3 out pid port scheme=ws
  out=$(mktemp)
  # shellcheck disable=SC2086
  taskset -c 0 "$server" --port 0 --threads 1 --max-message-bytes 1048576 $sflags >"$out" &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
  port=$(grep -o ':[0-9]*' "$out" | head -1 | tr -d :)
  [[ $sflags == *tls* ]] && scheme=wss
  local base=$(kib VmRSS $pid)
  # shellcheck disable=SC2086
  local json=$(taskset -c 1 "$herald" bench echo --url "$scheme://127.0.0.1:$port/" -c "$conns" -s "$size" \
    --inflight 1 -d 5 --warmup 1 -t 1 -q --json --server-pid $pid --ca-file "$certs/ca.pem" $bflags)
  local peak=$(kib VmHWM $pid)
  kill -TERM $pid; wait $pid || true
  rm -f "$out"
  /usr/bin/python3 - "$name" "$base" "$peak" "$conns" "$json" <<'PY'
import json, sys
name, base, peak, conns, report = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
rate = report["metrics"]["messages_per_second"]
cpu = report["metrics"]["server_cpu_seconds_per_million_messages"]
print(f"| {name} | {(peak - base) * 1024 / conns:,.0f} | {rate:,.0f} | {cpu} |")
PY
}

echo "| configuration ($conns connections, $size-byte echoes) | server peak RSS per connection (bytes) | round trips/s | server CPU s per 1M messages |"
echo "|---|---|---|---|"
run "ws://" "" ""
run "ws:// + permessage-deflate" "--compression" "--compression"
run "ws:// + permessage-deflate, server_no_context_takeover" "--compression --no-context-takeover" "--compression"
run "wss:// (TLS 1.3)" "--tls-cert $certs/server.pem --tls-key $certs/server.key" ""
run "wss:// + permessage-deflate" "--tls-cert $certs/server.pem --tls-key $certs/server.key --compression" "--compression"

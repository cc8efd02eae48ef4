#!/usr/bin/env bash
# Runs the Java SDK interop program that install.sh built. Arguments:
#   --url ws://127.0.0.1:PORT/connection/websocket --token JWT --channel CHANNEL [--format protobuf]
# then commands on stdin and events on stdout (see src/Main.java).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f "$here/build/.built" ]; then
  echo "sdk-java: not built ($here/build is missing): run scripts/install-deps.sh first" >&2
  exit 1
fi
for f in "$here"/pom.xml "$here"/src/*.java; do
  if [ "$f" -nt "$here/build/.built" ]; then
    echo "sdk-java: warning: $f is newer than the build; run scripts/install-deps.sh" >&2
  fi
done
# A short-lived test client: C1 only and the serial collector start fastest
# on two cores.
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  -cp "$here/build/classes:$here/build/lib/*" Main "$@"

#!/usr/bin/env bash
# Builds the Java SDK interop program (tests/interop/sdks/java): Maven fetches
# the jars pinned in pom.xml (into ~/.m2, copied to build/lib), then plain javac
# compiles src/*.java into build/classes. run.sh runs the result.
#
# Called by scripts/install-deps.sh. Idempotent and quick: it does nothing when
# build/ is newer than the sources, the pom and this script. build/ is
# replaced only by a complete build, so a failed one leaves the old in place.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

stamp=build/.built
stale=0
if [ -f "$stamp" ]; then
  for f in pom.xml install.sh src/*.java; do
    [ "$f" -nt "$stamp" ] && stale=1
  done
else
  stale=1
fi
((stale)) || exit 0

# The JDK and Maven come from Debian where the machine lacks them.
missing=()
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
if ((${#missing[@]})); then
  echo "sdk-java install: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

tmp="$here/build.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
if [ -f "$stamp" ] && [ -d build/lib ] && [ ! pom.xml -nt "$stamp" ]; then
  # Only the sources changed: keep the jars, skip Maven (about 3 s).
  echo "sdk-java install: recompiling src/"
  cp -a build/lib "$tmp/lib"
else
  echo "sdk-java install: fetching the jars pinned in pom.xml and compiling src/"
  # One goal, no lifecycle phase: only maven-dependency-plugin is downloaded.
  # Maven's output is shown only when it fails (-q still prints colour resets).
  if ! log=$(mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
               -DoutputDirectory="$tmp/lib" 2>&1); then
    echo "$log" >&2
    echo "sdk-java install: mvn dependency:copy-dependencies failed" >&2
    exit 1
  fi
fi
javac --release 17 -Xlint:all -encoding UTF-8 -cp "$tmp/lib/*" -d "$tmp/classes" src/*.java
touch "$tmp/.built"
rm -rf build
mv "$tmp" build

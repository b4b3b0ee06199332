#!/usr/bin/env bash
# Builds this example against the semaim artifact in ~/.m2 (mvn install at the repository root first), draws the
# demo pictures and prints each one's nearest neighbours under ENCODER (a semaim run folder or model file).
#   examples/embed-images/run.sh ENCODER [FOLDER]
set -euo pipefail
ENCODER="$(readlink -f "$1")"   # before the cd below: a path relative to where the script was called
FOLDER="${2:+$(readlink -f "$2")}"
cd "$(dirname "$0")"
mvn -B -q package
CP="target/classes:$(cat target/classpath.txt)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
MAJOR="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
FLAGS=()
if [ "${MAJOR:-17}" -ge 22 ]; then FLAGS+=(--enable-native-access=ALL-UNNAMED); fi
if [ "${MAJOR:-17}" -ge 24 ]; then FLAGS+=(--sun-misc-unsafe-memory-access=allow); fi
if [ -z "$FOLDER" ]; then
  FOLDER=target/shapes
  "$JAVA" ${FLAGS[@]+"${FLAGS[@]}"} -cp "$CP" example.MakeShapes "$FOLDER" 4
fi
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
"$JAVA" ${FLAGS[@]+"${FLAGS[@]}"} -cp "$CP" example.EmbedImages "$ENCODER" "$FOLDER" 3

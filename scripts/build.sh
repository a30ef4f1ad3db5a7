#!/usr/bin/env bash
# Configures and builds spikessm (Release) into ./build. Used by run.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$jobs" >> build.log 2>&1 || { tail -60 build.log; exit 1; }
echo "build: ok (log in build.log)"

#!/usr/bin/env bash
# Configures and builds spikessm (Release) into ./build; the log goes to build.log.
#   scripts/build.sh --cli [CMAKE_ARGS...]   only the library and the `spikessm` tool (scripts/run.sh)
#   scripts/build.sh [CMAKE_ARGS...]         everything: also the tests, benchmarks and, when its
#                                            packages are installed, the Python package (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
if [[ ${1:-} == --cli ]]; then
  shift
  config=(-DSPIKESSM_BUILD_TESTS=OFF -DSPIKESSM_BUILD_BENCH=OFF)
  target=(--target spikessm)
else
  # -U: decide the Python package afresh (a --cli build may have found its packages missing).
  config=(-DSPIKESSM_BUILD_TESTS=ON -DSPIKESSM_BUILD_BENCH=ON -USPIKESSM_PYTHON)
  target=()
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${config[@]}" "$@" > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$jobs" "${target[@]}" >> build.log 2>&1 || { tail -60 build.log; exit 1; }
echo "build: ok (log in build.log)"

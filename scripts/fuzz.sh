#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang with ASan + UBSan) and runs each for SECONDS.
#   scripts/fuzz.sh [SECONDS=20] [NAME...]      (default: every harness, one after another)
# New coverage goes to build-fuzz/work/<name>/ (seeds: fuzz/corpus/<name>/). A crash stops
# with the failing input saved as build-fuzz/crashes/<name>-crash-*; fix it, then copy the
# input into fuzz/corpus/<name>/ so tests/test_fuzz_regressions.cpp replays it forever.
# Prints one summary line per harness (executions, exec/s, coverage) and exits 1 on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
shift || true
BUILD=${SPIKESSM_FUZZ_BUILD:-build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (scripts/setup.sh installs it)"; exit 1; }
# fuzz_cli links the main build's library (fuzz/CMakeLists.txt says why).
LIB=${SPIKESSM_LIB:-build/libspikessm.a}
[[ -f $LIB ]] && LIB=$(realpath "$LIB")
cmake -S fuzz -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSPIKESSM_LIB="$LIB" >/dev/null
names=("$@")
if ((${#names[@]} == 0)); then
  names=($(sed -n 's/^spikessm_fuzzer(\([a-z0-9_]*\) .*/\1/p' fuzz/CMakeLists.txt))
  if [[ ! -f $LIB ]]; then
    echo "fuzz: skipping fuzz_cli: no $LIB (build the project first, or set SPIKESSM_LIB)"
    kept=()
    for n in "${names[@]}"; do [[ $n == cli ]] || kept+=("$n"); done
    names=("${kept[@]}")
  fi
fi
# Only the harnesses that run are built.
cmake --build "$BUILD" -j2 --target "${names[@]/#/fuzz_}" >/dev/null
# libtorch's own (uninstrumented) allocations at exit are not ours to report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
status=0
for n in "${names[@]}"; do
  mkdir -p "$BUILD/work/$n" "$BUILD/crashes"
  log="$BUILD/fuzz_$n.log"
  if "$BUILD/fuzz_$n" -max_total_time="$SECONDS_EACH" "$BUILD/work/$n" "fuzz/corpus/$n" \
      -print_final_stats=1 -rss_limit_mb=4096 \
      -artifact_prefix="$BUILD/crashes/$n-" >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # (a crash before the first coverage line leaves these empty, not the script dead)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  corpus=$(ls "$BUILD/work/$n" | wc -l)
  printf 'fuzz_%-12s %-5s %4ss  execs %-10s exec/s %-7s cov %-6s ft %-6s corpus %s\n' \
    "$n" "$result" "$SECONDS_EACH" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus"
  if [[ $result == CRASH ]]; then grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" || true; fi
done
exit $status

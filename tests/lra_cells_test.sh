#!/bin/bash
# scripts/lra_cells.sh end to end on two sCIFAR cells with a tiny budget: both cells run at
# once and land in the table; a rerun skips finished cells; a cell whose row is gone resumes
# from its checkpoint within a larger budget; bad arguments exit 2.
# usage: lra_cells_test.sh SPIKESSM_BINARY SCRATCH_DIR   (exit 77: no CIFAR-10 data here)
set -euo pipefail
bin=$1
out=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
[[ -f "$root/../shared/data/cifar10-jpeg/cifar10-jpeg.tar" ]] || { echo "no ../shared/data/cifar10-jpeg: skipped"; exit 77; }
rm -rf "$out"
fail() { echo "FAIL: $*"; exit 1; }
run() {
  OUT="$out" TASKS=cifar10-gray MODELS="binary_s4d spikingssm" SPIKESSM="$bin" \
    BENCH_ARGS="--set data.train_limit=500 --set data.test_limit=100 --set train.batch_size=10 --set train.checkpoint_every=1" \
    "$root/scripts/lra_cells.sh" 2 "$1"
}

run 0.02 > "$out.first"
[[ $(grep -c "start cifar10-gray" "$out.first") == 2 ]] || fail "two cells were not started: $(cat "$out.first")"
[[ $(grep -c "^| cifar10-gray |" "$out/table.md") == 2 ]] || fail "table.md lacks the two rows: $(cat "$out/table.md")"
for m in binary_s4d spikingssm; do
  [[ -f "$out/cifar10-gray_$m/checkpoint.pt" ]] || fail "$m left no checkpoint"
done
steps_of() { awk -F'|' -v m="$1" '$3 ~ " "m" " {gsub(/ /, "", $5); print $5}' "${2:-$out/table.md}"; }
first=$(steps_of spikingssm)
(( first > 0 )) || fail "spikingssm trained no step"

cp "$out/table.md" "$out.table"
run 0.02 > "$out.second"
! grep -q "start" "$out.second" || fail "a finished cell ran again: $(cat "$out.second")"
cmp -s "$out/table.md" "$out.table" || fail "the table changed without a run"

rm "$out/cifar10-gray_spikingssm.md"
run 0.15 > "$out.third"
[[ $(grep -c "start cifar10-gray x spikingssm" "$out.third") == 1 ]] || fail "the removed cell did not run again"
grep -q "resuming" "$out/cifar10-gray_spikingssm.log" || fail "the cell did not resume from its checkpoint"
(( $(steps_of spikingssm) > first )) || fail "the larger budget trained no further step"
[[ "$(steps_of binary_s4d)" == "$(steps_of binary_s4d "$out.table")" ]] ||
  fail "the finished cell changed"

set +e
OUT="$out" SPIKESSM="$bin" "$root/scripts/lra_cells.sh" zero 2> "$out.err"
code=$?
set -e
[[ $code == 2 ]] || fail "JOBS=zero exited $code, not 2"
[[ $(wc -l < "$out.err") == 1 ]] || fail "more than one error line: $(cat "$out.err")"
rm -rf "$out" "$out".*
echo "lra_cells.sh: parallel cells, skip when done, resume within the budget, bad input: ok"

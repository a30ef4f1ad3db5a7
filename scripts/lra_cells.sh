#!/bin/bash
# The LRA table on a small machine: every (task, model) cell of `spikessm bench lra`
# runs as its own process, JOBS at a time with one thread each, so two cores train two cells.
# Every cell is resumable (--resume): rerun this script after an interruption and each cell
# continues from its checkpoint within the same total budget; finished cells are skipped.
# Missing ListOps / Pathfinder-32 data is generated first (seed 1). When every cell is done,
# the table is written to OUT/table.md.
#
# usage: scripts/lra_cells.sh [JOBS=2] [BUDGET_MINUTES=150]
#   environment: TASKS, MODELS (space-separated cells), OUT (runs/bench_lra), SPIKESSM (the
#   binary, build/spikessm), BENCH_ARGS (more `bench lra` options, e.g. "--set data.test_limit=500")
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
budget=${2:-150}
bin=${SPIKESSM:-build/spikessm}
tasks=${TASKS:-cifar10-gray listops pathfinder32}
models=${MODELS:-spikingssm binary_s4d_gsu binary_s4d}
out=${OUT:-runs/bench_lra}
read -r -a extra <<< "${BENCH_ARGS:-}"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "lra_cells.sh: JOBS '$jobs' is not a positive integer" >&2; exit 2; }
[[ -x "$bin" ]] || { echo "lra_cells.sh: no binary at $bin (build first: scripts/build.sh)" >&2; exit 2; }
mkdir -p "$out"

generate() {  # DIR ARGS...: the data set, written aside and moved into place when complete
  [[ -d "$1" ]] && return
  rm -rf "$1.partial"
  "$bin" data generate "${@:2}" --seed 1 --out "$1.partial" && mv "$1.partial" "$1"
}
[[ " $tasks " == *" listops "* ]] && generate data/lra/listops listops
[[ " $tasks " == *" pathfinder32 "* ]] && generate data/lra/pathfinder32 pathfinder --size 32 -n 200000

done_cell() { [[ -s "$out/$1_$2.md" ]] && ! grep -q "no data" "$out/$1_$2.md"; }
cell() {  # one cell; its table row lands in OUT/TASK_MODEL.md once its budget is spent
  "$bin" bench lra --budget-minutes "$budget" --tasks "$1" --models "$2" --threads 1 --resume \
    --runs "$out" --out "$out/$1_$2.md" "${extra[@]}" >> "$out/$1_$2.log" 2>&1 ||
    echo "lra_cells.sh: $1 x $2 failed (see $out/$1_$2.log)" >&2
}

for t in $tasks; do
  for m in $models; do
    done_cell "$t" "$m" && continue
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
    echo "$(date +%T) start $t x $m (log: $out/${t}_$m.log)"
    cell "$t" "$m" &
  done
done
wait

rows=0
{
  for t in $tasks; do
    for m in $models; do
      done_cell "$t" "$m" || continue
      (( rows++ )) || head -n 2 "$out/${t}_$m.md"
      tail -n +3 "$out/${t}_$m.md"
    done
  done
} > "$out/table.md.tmp"
mv "$out/table.md.tmp" "$out/table.md"
cat "$out/table.md"

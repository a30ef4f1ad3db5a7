#!/usr/bin/env bash
# Data-parallel speed-up on this machine: the quickstart model, STEPS steps of global batch 32,
# one process with 2 intra-op threads vs 2 ranks (--nproc 2) with 1 thread each, alternated
# REPEATS times side by side. Prints the training time (evaluation excluded) of every run.
#   scripts/bench_ddp.sh [STEPS=200] [REPEATS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-200}
REPEATS=${2:-2}
BIN=${SPIKESSM_BIN:-build/spikessm}
OUT=runs/bench_ddp
common=(--config configs/quickstart.toml --set train.max_steps="$STEPS" --set data.test_limit=200
        --set train.checkpoint_every=0 --overwrite)
for ((i = 1; i <= REPEATS; i++)); do
  for mode in "1 process x 2 threads" "2 ranks x 1 thread"; do
    if [[ $mode == 1* ]]; then extra=(--threads 2); else extra=(--nproc 2 --threads 1); fi
    line=$("$BIN" train "${common[@]}" "${extra[@]}" --set train.out_dir="$OUT/$i" 2>/dev/null | grep '^trained')
    s=$(echo "$line" | awk '{print $5}')
    printf '%-24s %s steps in %6.1f s  %6.1f samples/s\n' "$mode" "$STEPS" "$s" \
      "$(python3 -c "print($STEPS*32/$s)")"
  done
done

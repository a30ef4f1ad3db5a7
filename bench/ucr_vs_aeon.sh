#!/usr/bin/env bash
# SpikingSSM (and its non-spiking twin) on UCR/UEA sets that the aeon package ships as .ts
# files, next to aeon's MiniRocket and 1-NN DTW on the same splits, all on this machine.
# Uses build/aeon-venv (bench/aeon_venv.sh, PyPI: aeon); prints one markdown table.
# Usage: [SPIKESSM=path/to/spikessm] bench/ucr_vs_aeon.sh [SET...]
#   (default sets: GunPoint ItalyPowerDemand ArrowHead BasicMotions)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/aeon_venv.sh   # venv, aeon_data
out=build/ucr
spikessm=${SPIKESSM:-build/spikessm}   # the binary (a copy keeps a rebuild from changing it mid-run)
mkdir -p "$out"
data=$aeon_data
echo "| set | SpikingSSM | non-spiking twin | spiking rate | train s | MiniRocket | 1-NN DTW |"
echo "|---|---|---|---|---|---|---|"
sets=("$@")
((${#sets[@]})) || sets=(GunPoint ItalyPowerDemand ArrowHead BasicMotions)
for set in "${sets[@]}"; do
  tr="$data/$set/${set}_TRAIN.ts" te="$data/$set/${set}_TEST.ts"
  acc=() rate="" secs="" extra=()
  # unequal-length rows: a unidirectional model, whose mean over each row's valid steps does
  # not see the padding (docs/your_data.md)
  if grep -qi '^@equalLength false' "$tr"; then extra=(--set model.bidirectional=false); fi
  for spiking in true false; do
    run="$out/$set-$spiking"
    "$spikessm" train --config configs/arrays/ucr.toml --set data.train="$tr" \
      --set data.test="$te" --set model.spiking=$spiking --set train.out_dir="$run" \
      "${extra[@]}" --overwrite > "$run.log" 2>&1
    acc+=("$(grep '^test accuracy' "$run.log" | awk '{print $3}')")
    if [[ $spiking == true ]]; then
      rate=$(grep -o '"mean_spiking_rate": [0-9.e-]*' "$run/spike_stats.json" | head -1 | awk '{print $2}')
      secs=$(grep '^trained' "$run.log" | awk '{print $5}')
    fi
  done
  base=$("$venv/bin/python" - "$tr" "$te" <<'PY'
import sys
from aeon.datasets import load_from_tsfile
from aeon.classification.convolution_based import RocketClassifier
from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
xtr, ytr = load_from_tsfile(sys.argv[1]); xte, yte = load_from_tsfile(sys.argv[2])
def score(make):
    try:
        return f"{make().fit(xtr, ytr).score(xte, yte):.4f}"
    except Exception as e:  # e.g. MiniRocket takes no unequal-length series
        return "n/a (" + str(e).splitlines()[0][:60] + ")"
r = score(lambda: RocketClassifier(rocket_transform="minirocket", random_state=0))
d = score(lambda: KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1))
print(f"{r} | {d}")
PY
)
  echo "| $set | ${acc[0]} | ${acc[1]} | $rate | $secs | $base |"
done

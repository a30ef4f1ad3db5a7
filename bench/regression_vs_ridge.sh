#!/usr/bin/env bash
# SpikingSSM (and its non-spiking twin) on a regression set that the aeon package ships as
# .ts files (@targetLabel), next to scikit-learn's ridge regression (StandardScaler + RidgeCV on
# the flattened series) and the training mean, on the same train/test split, all on this machine.
# Uses build/aeon-venv (bench/aeon_venv.sh; aeon brings scikit-learn).
# Usage: [SPIKESSM=path/to/spikessm] bench/regression_vs_ridge.sh [SET=Covid3Month]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/aeon_venv.sh   # venv, aeon_data
out=build/regression
spikessm=${SPIKESSM:-build/spikessm}
mkdir -p "$out"
data=$aeon_data
set=${1:-Covid3Month}
tr="$data/$set/${set}_TRAIN.ts" te="$data/$set/${set}_TEST.ts"
mse=() r2=() rate="" secs=""
for spiking in true false; do
  run="$out/$set-$spiking"
  "$spikessm" train --config configs/arrays/regression.toml --set data.train="$tr" \
    --set data.test="$te" --set model.spiking=$spiking --set train.out_dir="$run" \
    --overwrite > "$run.log" 2>&1
  mse+=("$(grep '^test mse' "$run.log" | awk '{print $3}')")
  r2+=("$(grep '^test mse' "$run.log" | awk '{print $7}')")
  if [[ $spiking == true ]]; then
    rate=$(grep -o '"mean_spiking_rate": [0-9.e-]*' "$run/spike_stats.json" | head -1 | awk '{print $2}')
    secs=$(grep '^trained' "$run.log" | awk '{print $5}')
  fi
done
base=$("$venv/bin/python" - "$tr" "$te" <<'PY'
import sys
import numpy as np
from aeon.datasets import load_from_tsfile
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
xtr, ytr = load_from_tsfile(sys.argv[1]); xte, yte = load_from_tsfile(sys.argv[2])
ytr, yte = ytr.astype(float), yte.astype(float)
flat = lambda x: np.asarray(x, dtype=float).reshape(len(x), -1)
# each time step a feature, standardised on the training split (spikessm standardises too)
ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 5, 17))).fit(flat(xtr), ytr)
mse = lambda p: float(np.mean((p - yte) ** 2))
r2 = lambda p: 1 - np.sum((p - yte) ** 2) / np.sum((yte - yte.mean()) ** 2)
p = ridge.predict(flat(xte))
print(f"{mse(p):.6g} (R² {r2(p):.3f}) | {mse(np.full_like(yte, ytr.mean())):.6g}")
PY
)
echo "| set | SpikingSSM MSE (R²) | non-spiking twin MSE (R²) | spiking rate | train s | ridge MSE (R²) | training-mean MSE |"
echo "|---|---|---|---|---|---|---|"
echo "| $set | ${mse[0]} (${r2[0]}) | ${mse[1]} (${r2[1]}) | $rate | $secs | $base |"

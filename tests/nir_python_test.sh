#!/usr/bin/env bash
# CTest: export a briefly trained model to NIR and load it with the reference `nir` library
# (PyPI, in a virtualenv made here), checking node types, shapes and parameters.
# Usage: nir_python_test.sh SPIKESSM_BINARY WORK_DIR [CHECKPOINT]
# Exit 77 (CTest: skipped) only when the virtualenv or PyPI is unavailable.
set -euo pipefail
bin=$1
work=$2
ckpt=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
venv=$work/venv
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import nir" 2>/dev/null; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >"$work/venv.log" 2>&1; then
    echo "SKIPPED: python3 -m venv failed (Debian: python3-venv); see $work/venv.log"
    exit 77
  fi
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check nir >"$work/pip.log" 2>&1; then
    echo "SKIPPED: cannot install nir from PyPI (unreachable?); see $work/pip.log"
    exit 77
  fi
fi
"$venv/bin/python" -c "import nir; print('nir', nir.version)"

if [[ -z $ckpt ]]; then
  # A small bidirectional LayerNorm model trained for a few steps on Fashion-MNIST (L = 196).
  "$bin" train --overwrite --set train.out_dir="$work/run" --set train.max_steps=30 \
    --set data.train_limit=960 --set data.test_limit=100 --set data.pool=2 \
    --set model.d_model=16 --set model.d_state=8 --set model.bidirectional=true \
    --set train.batch_size=32 --set train.lr=0.01 >"$work/train.log" 2>&1
  ckpt=$work/run/checkpoint.pt
fi
"$bin" export --format nir --checkpoint "$ckpt" --out "$work/model.nir" --dt 0.001
"$venv/bin/python" "$here/nir_python_check.py" "$work/model.nir"
# The committed export of the trained quickstart model (docs/results.md, "Deployment").
"$venv/bin/python" "$here/nir_python_check.py" "$here/fixtures/quickstart.nir"

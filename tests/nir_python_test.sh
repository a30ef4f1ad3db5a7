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
"$venv/bin/python" "$here/nir_length_check.py" "$work/model.nir" 196

# The sequence length comes from the checkpoint's own task, not from a pixel-count formula:
# FSDD at 4096 samples pooled by 4 (L = 1024) and sCIFAR (32 x 32 grey pixels, L = 1024).
data=$(cd "$here/../.." && pwd)/shared/data
tiny=(--set train.max_steps=2 --set train.batch_size=8 --set model.d_model=8 --set model.d_state=4
      --set model.n_layers=1 --set data.train_limit=32 --set data.test_limit=8)
if [[ -f $data/fsdd/recordings.tar ]]; then
  "$bin" train --overwrite "${tiny[@]}" --set data.dataset=fsdd --set data.dir="$data/fsdd" \
    --set data.pool=4 --set data.max_length=4096 --set train.out_dir="$work/fsdd" >"$work/fsdd.log" 2>&1
  "$bin" export --checkpoint "$work/fsdd/checkpoint.pt" --out "$work/fsdd.nir"
  "$venv/bin/python" "$here/nir_length_check.py" "$work/fsdd.nir" 1024
else
  echo "no $data/fsdd/recordings.tar: FSDD export not checked"
fi
if [[ -f $data/cifar10-jpeg/cifar10-jpeg.tar ]]; then
  "$bin" train --overwrite "${tiny[@]}" --set data.dataset=cifar10-gray \
    --set data.dir="$data/cifar10-jpeg" --set train.out_dir="$work/scifar" >"$work/scifar.log" 2>&1
  "$bin" export --checkpoint "$work/scifar/checkpoint.pt" --out "$work/scifar.nir"
  "$venv/bin/python" "$here/nir_length_check.py" "$work/scifar.nir" 1024
else
  echo "no $data/cifar10-jpeg/cifar10-jpeg.tar: sCIFAR export not checked"
fi

# What NIR cannot express is refused with one line and exit 2, nothing written.
set +e
"$bin" train --overwrite "${tiny[@]}" --set data.pool=4 --set model.block=binary_s4d \
  --set train.out_dir="$work/binary" >"$work/binary.log" 2>&1
"$bin" export --checkpoint "$work/binary/checkpoint.pt" --out "$work/binary.nir" 2>"$work/refusal.txt"
rc=$?
set -e
[[ $rc == 2 && ! -e $work/binary.nir && $(wc -l <"$work/refusal.txt") == 1 ]] ||
  { echo "FAILED: binary_s4d export: exit $rc, $(cat "$work/refusal.txt")"; exit 1; }
grep -q "binary_s4d" "$work/refusal.txt" || { echo "FAILED: refusal does not name the part"; exit 1; }
echo "refused: $(cat "$work/refusal.txt")"

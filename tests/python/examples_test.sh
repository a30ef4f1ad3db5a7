#!/usr/bin/env bash
# CTest python_example_*: runs one example of examples/python; the checkpoint examples first
# train a small model with the CLI for a few steps.
# Usage: examples_test.sh NAME SPIKESSM_CLI WORK_DIR   (PYTHONPATH must hold build/python)
set -euo pipefail
name=$1
cli=$2
work=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
ex=$root/examples/python
mkdir -p "$work"
case $name in
  train_fmnist)
    exec "$py" "$ex/train_fmnist.py" --steps 200 --min-accuracy 0.5 ;;
  load_checkpoint)
    "$cli" train --config "$root/configs/quickstart.toml" --overwrite \
      --set train.out_dir="$work/run" --set train.max_steps=10 --set data.train_limit=320 \
      --set data.test_limit=100 >"$work/train.log" 2>&1 || { tail -20 "$work/train.log"; exit 1; }
    exec "$py" "$ex/load_checkpoint.py" "$work/run/checkpoint.pt" ;;
  stream_lm)
    "$cli" train --config "$root/configs/lm/bible_ssm.toml" --overwrite \
      --set train.out_dir="$work/lm" --set train.max_steps=600 --set lm.tokenizer=byte \
      --set model.n_layers=1 --set model.d_model=32 --set model.d_state=8 \
      --set lm.context=64 --set train.batch_size=8 --set lm.valid_max_chars=2000 \
      --set train.max_minutes=0 >"$work/train.log" 2>&1 || { tail -20 "$work/train.log"; exit 1; }
    exec "$py" "$ex/stream_lm.py" "$work/lm/checkpoint.pt" --prompt "And God said" \
      --max-tokens 60 ;;
  *) echo "examples_test: unknown example $name"; exit 2 ;;
esac

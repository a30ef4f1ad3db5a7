#!/usr/bin/env bash
# CTest: a model.nir_block classifier, trained briefly on Fashion-MNIST, exported to NIR and run
# in snnTorch and in Norse (PyPI, in a virtualenv made by tests/python/make_nir_venv.sh); its
# spikes in every block and its predictions must agree with spikessm's run on the same inputs. The check
# must also fail when they do not: a reference with flipped spikes is rejected.
# Usage: nir_consumer_test.sh SPIKESSM_BINARY WORK_DIR
# Exit 77 (skipped) only when the virtualenv cannot be made or PyPI is unreachable.
set -euo pipefail
bin=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
venv=$work/venv
set +e
"$here/python/make_nir_venv.sh" "$venv"
rc=$?
set -e
(( rc == 0 )) || exit $rc
fail() { echo "FAIL: $*"; exit 1; }

# Two blocks of width 16 on 2x2-pooled pixels (L = 196), 40 steps: enough for spikes in both
# blocks and predictions that are not constant.
"$bin" train --overwrite --set train.out_dir="$work/run" --set train.max_steps=40 \
  --set data.train_limit=1280 --set data.test_limit=64 --set data.pool=2 \
  --set model.nir_block=true --set model.d_state=2 --set model.norm=batch \
  --set model.d_model=16 --set model.n_layers=2 --set train.batch_size=32 --set train.lr=0.01 \
  >"$work/train.log" 2>&1 || fail "training failed: $(tail -3 "$work/train.log")"
"$bin" export --format nir --checkpoint "$work/run/checkpoint.pt" --out "$work/model.nir" \
  --dt 1e-4 --reference "$work/ref" --samples 64
for consumer in snntorch norse; do
  "$venv/bin/python" "$here/python/nir_consumer_compare.py" "$work/model.nir" "$work/ref" \
    --consumer $consumer --min-spikes 0.999 --min-predictions 1.0 --json "$work/$consumer.json"
done

# Spikessm's model must actually spike: a comparison of silent layers proves nothing.
"$venv/bin/python" - "$work/ref" <<'PY'
import sys, numpy as np
for i in range(2):
    s = np.load(f"{sys.argv[1]}/spikes_block{i}.npy")
    rate = s.mean()
    print(f"block{i}: spike rate {rate:.4f}")
    assert 0.001 < rate < 0.999, f"block{i} spike rate {rate} (silent or saturated)"
PY

# A broken agreement must fail the comparison: flip 1 % of block 1's spikes.
rm -rf "$work/bad" && cp -r "$work/ref" "$work/bad"
"$venv/bin/python" - "$work/bad/spikes_block1.npy" <<'PY'
import sys, numpy as np
s = np.load(sys.argv[1])
flat = s.reshape(-1)
idx = np.random.default_rng(0).choice(flat.size, flat.size // 100, replace=False)
flat[idx] = 1 - flat[idx]
np.save(sys.argv[1], s)
PY
if "$venv/bin/python" "$here/python/nir_consumer_compare.py" "$work/model.nir" "$work/bad" \
  >"$work/bad.log" 2>&1; then
  fail "the comparison accepted a reference with 1 % flipped spikes"
fi
grep -q "spike agreement" "$work/bad.log" || fail "the rejection did not name the spike agreement"
echo "nir consumer test ok"

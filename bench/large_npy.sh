#!/usr/bin/env bash
# A .npy larger than memory holds comfortably: writes a float32 x.npy of GB gibibytes (+ y.npy)
# with NumPy's open_memmap, then runs `spikessm data inspect` and a short training on it
# (train.max_steps=20, per-channel standardisation on) and prints the peak resident set of each
# (/usr/bin/time -v: the kernel's VmHWM). x.npy is memory-mapped: its pages are read as rows are
# used and let go after the statistics passes. The files are deleted at the end.
# Not a test: it writes GB + 1 GiB to disk.
# Usage: [SPIKESSM=path/to/spikessm] bench/large_npy.sh [DIR=build/large_npy] [GB=8]
set -euo pipefail
cd "$(dirname "$0")/.."
spikessm=${SPIKESSM:-build/spikessm}
dir=${1:-build/large_npy}
gb=${2:-8}
mkdir -p "$dir"
avail=$(df -BG --output=avail "$dir" | tail -1 | tr -dc 0-9)
if ((avail < 2 * gb + 1)); then
  echo "bench/large_npy.sh: $dir has $avail GB free, expected at least $((2 * gb + 1)) GB" >&2
  exit 2
fi
trap 'rm -rf "$dir/train" "$dir/test" "$dir/run"' EXIT
mkdir -p "$dir/train" "$dir/test"
# Rows of L = 1024 steps and C = 4 channels (16 KiB); class 1 has a higher mean in channel 1.
/usr/bin/python3 - "$dir" "$gb" <<'PY'
import sys
import numpy as np
from numpy.lib.format import open_memmap
d, gb = sys.argv[1], float(sys.argv[2])
L, C = 1024, 4
n = int(gb * 2**30) // (L * C * 4)
rng = np.random.default_rng(0)
def write(path, rows):
    x = open_memmap(f"{path}/x.npy", mode="w+", dtype=np.float32, shape=(rows, L, C))
    y = rng.integers(0, 2, rows)
    for i in range(0, rows, 2048):
        m = min(2048, rows - i)
        v = rng.standard_normal((m, L, C), dtype=np.float32) * 2 + 3
        v[:, :, 1] += 0.5 * y[i:i + m, None]
        x[i:i + m] = v
    x.flush()
    del x
    np.save(f"{path}/y.npy", y)
write(f"{d}/train", n)
write(f"{d}/test", 256)
print(f"x.npy: ({n}, {L}, {C}) float32, {n * L * C * 4 / 2**30:.2f} GiB", file=sys.stderr)
PY
ls -l "$dir/train"
peak() { grep 'Maximum resident set size' "$1" | awk '{printf "%.0f MiB", $6 / 1024}'; }
/usr/bin/time -v "$spikessm" data inspect "$dir/train" > "$dir/inspect.txt" 2> "$dir/inspect.time"
cat "$dir/inspect.txt"
echo "data inspect: peak RSS $(peak "$dir/inspect.time"), $(grep 'Elapsed' "$dir/inspect.time" | awk '{print $NF}') wall"
/usr/bin/time -v "$spikessm" train --set data.dataset=arrays --set data.train="$dir/train" \
  --set data.test="$dir/test" --set data.standardize=true --set model.d_model=64 \
  --set model.d_state=64 --set model.bidirectional=false --set train.batch_size=16 \
  --set train.max_steps=20 --set train.threads=2 --set train.out_dir="$dir/run" --overwrite \
  > "$dir/train.log" 2> "$dir/train.time" || { tail -5 "$dir/train.time"; exit 1; }
grep -E '^data:|^model:|^trained|^test' "$dir/train.time" "$dir/train.log" | sed 's/^[^:]*://'
echo "train (20 steps): peak RSS $(peak "$dir/train.time"), $(grep 'Elapsed' "$dir/train.time" | awk '{print $NF}') wall"

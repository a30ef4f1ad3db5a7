#!/usr/bin/env bash
# Crash-safety check: SIGKILL a training run at KILLS random moments, resuming it each time,
# then compare its final checkpoint with an uninterrupted run's: the model and optimizer
# sections must be bit-identical, every checkpoint on disk must verify, no temp file may be
# left. The uninterrupted run goes first and its training time places the kill moments: kill k
# falls at a random moment of the k-th of KILLS equal slices of that time (5 % to 95 % of
# it), counted from the checkpoint each part resumes from; every kill must land before the
# run ends. Prints one line per kill and a verdict; exit 1 on any difference or missed kill.
#   scripts/kill_resume.sh [KILLS=10] [RANDOM_SEED=1] [OUT=runs/kill_resume]
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${1:-10}
RANDOM=${2:-1}
OUT=${3:-runs/kill_resume}
BIN=${SPIKESSM_BIN:-build/spikessm}
rm -rf "$OUT"
mkdir -p "$OUT"
common=(--set data.pool=2 --set data.train_limit=1920 --set data.test_limit=200
        --set model.n_layers=2 --set model.d_model=32 --set model.d_state=16 --set model.dropout=0.1
        --set train.batch_size=32 --set train.epochs=4 --set train.lr=0.01 --set train.warmup_steps=10
        --set train.checkpoint_every=4 --set train.log_every=4 --threads 2)

# Verifies a checkpoint's CRCs; prints "ok STEP" or "BAD reason". Independent of the C++ reader.
verify() {
  python3 - "$1" <<'PY'
import json, struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
if len(b) < 32 or b[:8] != b'SPKSSMCK': print('BAD header'); sys.exit()
ver, n, plen, pcrc, hcrc = struct.unpack('<IIQII', b[8:32])
if zlib.crc32(b[:28]) != hcrc or plen != len(b) - 32 or zlib.crc32(b[32:]) != pcrc:
    print('BAD checksum/length'); sys.exit()
pos, sec = 32, {}
for _ in range(n):
    (l,) = struct.unpack('<I', b[pos:pos+4]); name = b[pos+4:pos+4+l].decode(); pos += 4 + l
    (s,) = struct.unpack('<Q', b[pos:pos+8]); sec[name] = b[pos+8:pos+8+s]; pos += 8 + s
print('ok', json.loads(sec['meta'])['step'])
PY
}
# sha256 of the model's parameters and buffers (every tensor of the model section, by name)
# and of the optimizer's state tensors as a sorted multiset: LibTorch 1.13 writes the optimizer
# state in hash-map order, which depends on memory addresses, so only its contents compare.
# (Bit-identical parameters many steps after the last resume also show the Adam moments were
# restored exactly.)
state_hash() {
  python3 - "$1" <<'PY'
import hashlib, io, struct, sys, zipfile
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', b[12:16])[0]; pos = 32; sec = {}
for _ in range(n):
    (l,) = struct.unpack('<I', b[pos:pos+4]); name = b[pos+4:pos+4+l].decode(); pos += 4 + l
    (s,) = struct.unpack('<Q', b[pos:pos+8]); sec[name] = b[pos+8:pos+8+s]; pos += 8 + s
z = zipfile.ZipFile(io.BytesIO(sec['model']))
m = hashlib.sha256(b''.join(z.read(x) for x in sorted(z.namelist()))).hexdigest()[:16]
z = zipfile.ZipFile(io.BytesIO(sec['optimizer']))
o = hashlib.sha256(''.join(sorted(hashlib.sha256(z.read(x)).hexdigest()
                                  for x in z.namelist() if '/data/' in x)).encode()).hexdigest()[:16]
print(f'model {m} optimizer-state {o}')
PY
}

t0=$(date +%s.%N)
"$BIN" train "${common[@]}" --set train.out_dir="$OUT/ref" >"$OUT/ref.log" 2>&1
t1=$(date +%s.%N)
ref_s=$(python3 -c "print(f'{$t1-$t0:.1f}')")
# Its training alone ("trained N steps in S s"), without start-up and the final evaluation.
total=$(sed -n 's/^trained \([0-9]*\) steps in \([0-9.]*\) s.*/\1/p' "$OUT/ref.log")
train_s=$(sed -n 's/^trained \([0-9]*\) steps in \([0-9.]*\) s.*/\2/p' "$OUT/ref.log")
if [[ -z $total || -z $train_s || $total == 0 ]]; then
  echo "FAIL: the uninterrupted run did not finish (see $OUT/ref.log)"
  exit 1
fi
echo "uninterrupted run: ${ref_s} s (${train_s} s of training, $total steps), final $(verify "$OUT/ref/checkpoint.pt")"

run="$OUT/killed"
# The log exists before the first part starts: the wait below reads it at once, possibly before
# the background job has opened it.
: >"$OUT/killed.log"
resume=()
bad=0
landed=0
done_steps=0
for ((k = 1; k <= KILLS; k++)); do
  # The kill's moment in the uninterrupted run's training time, then the wait for it once
  # this part has loaded its data (it prints its "model:" line) and resumed at done_steps.
  train_ms=$(python3 -c "print(int($train_s * 1000))")
  slice_ms=$((train_ms * 9 / 10 / KILLS))
  at_ms=$((train_ms / 20 + (k - 1) * slice_ms + (RANDOM * 32768 + RANDOM) % (slice_ms + 1)))
  delay_ms=$((at_ms - train_ms * done_steps / total))
  ((delay_ms < 0)) && delay_ms=0
  "$BIN" train "${common[@]}" --set train.out_dir="$run" "${resume[@]}" >>"$OUT/killed.log" 2>&1 &
  pid=$!
  while (($(grep -c '^model:' "$OUT/killed.log" || true) < k)) && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  sleep "$(python3 -c "print($delay_ms/1000)")"
  # Its exit status tells a kill from a finished run (kill also "succeeds" on an unreaped one).
  kill -9 "$pid" 2>/dev/null || true
  rc=0
  wait "$pid" 2>/dev/null || rc=$?
  if ((rc == 137)); then
    state=killed
    landed=$((landed + 1))
  else
    state="had already finished (exit $rc)"
  fi
  tmp=$( (find "$run" -maxdepth 1 -name '*.tmp' 2>/dev/null || true) | wc -l)
  latest=$([[ -f $run/checkpoint.pt ]] && verify "$run/checkpoint.pt" || echo "none yet")
  prev=$([[ -f $run/checkpoint.prev.pt ]] && verify "$run/checkpoint.prev.pt" || echo "none yet")
  [[ $latest == BAD* || $prev == BAD* ]] && bad=1
  printf 'kill %2d at %5d of %d ms of training, %5d ms into this part: %s; checkpoint.pt %s; checkpoint.prev.pt %s; temp files %d\n' \
    "$k" "$at_ms" "$train_ms" "$delay_ms" "$state" "$latest" "$prev" "$tmp"
  # The next part resumes from the newest good checkpoint.
  if [[ $latest == ok* ]]; then done_steps=${latest#ok }
  elif [[ $prev == ok* ]]; then done_steps=${prev#ok }
  else done_steps=0; fi
  resume=(--resume)
done
"$BIN" train "${common[@]}" --set train.out_dir="$run" --resume >>"$OUT/killed.log" 2>&1
echo "final resume: $(verify "$run/checkpoint.pt")"
left=$(find "$run" -name '*.tmp' | wc -l)
a=$(state_hash "$OUT/ref/checkpoint.pt")
b=$(state_hash "$run/checkpoint.pt")
echo "uninterrupted:    $a"
echo "killed, resumed:  $b"
echo "temp files left: $left; resumes: $(grep -c '^resuming' "$OUT/killed.log" || true)"
echo "kills that landed mid-run: $landed of $KILLS"
if [[ $a == "$b" && $left == 0 && $bad == 0 && $landed == "$KILLS" ]]; then
  echo "PASS: bit-identical after $KILLS kills, no corrupt or temp file"
else
  [[ $landed != "$KILLS" ]] && echo "FAIL: only $landed of $KILLS kills landed before the run ended"
  echo "FAIL"
  exit 1
fi

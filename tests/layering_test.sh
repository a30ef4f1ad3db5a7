#!/usr/bin/env bash
# The layer order of docs/architecture.md holds: scripts/check_layers.py passes on the tree,
# and fails (naming the file) on a copy with one deliberately upward include.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
check="$root/scripts/check_layers.py"
python3 "$check" "$root"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/include" "$root/src" "$root/tools" "$tmp/"
# common/ is the ground floor: it may not include the trainer.
sed -i '1a #include "spikessm/train/trainer.h"' "$tmp/src/common/config.cpp"
if out="$(python3 "$check" "$tmp")"; then
  echo "layering_test: the checker accepted an upward include:"; echo "$out"; exit 1
fi
grep -q "src/common/config.cpp:2: area 'common' includes 'spikessm/train/trainer.h'" <<<"$out" || {
  echo "layering_test: the checker failed without naming the upward include:"; echo "$out"; exit 1; }
echo "layering_test: an upward include is refused: $(head -1 <<<"$out")"

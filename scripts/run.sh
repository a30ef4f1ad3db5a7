#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install only what it needs, build only the
# command-line tool, then train the default SpikingSSM on sequential Fashion-MNIST (L = 784)
# and report accuracy, spiking rate and the energy estimate. Extra arguments go to
# `spikessm train` (e.g. --set train.epochs=1). Tests, benchmarks, fuzzers and the Python
# package are set up and built by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
scripts/setup.sh run
setup_s=$((SECONDS - start))
scripts/build.sh --cli
echo "run: set-up ${setup_s} s, build $((SECONDS - start - setup_s)) s" >&2
exec ./build/spikessm train --config configs/quickstart.toml --overwrite "$@"

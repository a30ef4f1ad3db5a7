#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, then train the
# default SpikingSSM on sequential Fashion-MNIST (L = 784) and report accuracy, spiking rate
# and the energy estimate. Extra arguments go to `spikessm train` (e.g. --set train.epochs=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec ./build/spikessm train --config configs/quickstart.toml --overwrite "$@"

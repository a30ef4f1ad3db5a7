#!/usr/bin/env bash
# Makes the virtualenv of the peer tests: Debian's python3 with its system packages (so the
# venv uses python3-torch 1.13, the LibTorch spikessm links) plus the peer SNN libraries from
# PyPI, pinned to versions that work with torch 1.13, and the reference safetensors reader. Installed without dependencies: their
# neuron modules need only torch and numpy, which Debian provides.
# Usage: make_venv.sh VENV_DIR     Exit 77 (CTest: skipped) when PyPI is unreachable.
set -euo pipefail
venv=${1:?usage: make_venv.sh VENV_DIR}
PEERS=(spikingjelly==0.0.0.0.14 snntorch==0.7.0 safetensors==0.4.2)
if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c "import spikingjelly, snntorch, safetensors" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
if ! /usr/bin/python3 -m venv --system-site-packages "$venv" >"$venv.log" 2>&1; then
  echo "SKIPPED: /usr/bin/python3 -m venv failed (Debian: python3-venv); see $venv.log"
  exit 77
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "${PEERS[@]}" \
    >>"$venv.log" 2>&1; then
  echo "SKIPPED: cannot install ${PEERS[*]} from PyPI (unreachable?); see $venv.log"
  rm -rf "$venv"
  exit 77
fi
"$venv/bin/python" -c "import spikingjelly.activation_based.neuron, snntorch, safetensors.numpy" >>"$venv.log" 2>&1 || {
  echo "make_venv: the peer libraries do not import; see $venv.log"; tail -5 "$venv.log"; exit 1; }

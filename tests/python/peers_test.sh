#!/usr/bin/env bash
# CTest python_peers: our neurons against SpikingJelly and snnTorch (test_peers.py), and our
# safetensors files against the reference library (test_safetensors.py), in the virtualenv
# make_venv.sh makes. Exit 77 (skipped) when the venv cannot be made (no PyPI).
# Usage: peers_test.sh VENV_DIR   (PYTHONPATH must hold build/python)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:?usage: peers_test.sh VENV_DIR}
"$here/make_venv.sh" "$venv"
exec "$venv/bin/python" -m pytest -q -s -p no:cacheprovider "$here/test_peers.py" \
  "$here/test_safetensors.py::test_reference_library_agrees"

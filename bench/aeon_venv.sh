#!/usr/bin/env bash
# Sourced by the aeon benchmarks (ucr_vs_aeon.sh, regression_vs_ridge.sh): makes
# build/aeon-venv (PyPI: aeon, which brings scikit-learn) once and sets
#   venv       the venv's folder
#   aeon_data  the folder of the .ts sets that aeon ships (aeon/datasets/data/<SET>/)
# Run from the repository's root.
venv=build/aeon-venv
if [[ ! -x $venv/bin/python ]]; then
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q aeon==0.11.1
fi
aeon_data=$("$venv/bin/python" -c "import aeon.datasets, os; print(os.path.join(os.path.dirname(aeon.datasets.__file__), 'data'))")

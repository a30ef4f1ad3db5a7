#!/usr/bin/env bash
# Makes (or reuses) a virtualenv with NIR consumers from PyPI: the reference `nir` reader,
# snnTorch and Norse (both build the network with nirtorch). The versions are pinned so that
# a comparison's numbers can be reproduced. The venv takes the torch those packages pull in
# (not the system's 1.13 through --system-site-packages: Norse 1.1 needs torch >= 2, and
# nirtorch's torch.fx interpreter and snnTorch 1.0 are made for torch 2).
# Usage: make_nir_venv.sh VENV_DIR        Exit 77 (CTest: skipped) when PyPI is unreachable.
set -euo pipefail
venv=$1
packages=(nir==1.0.8 nirtorch==2.6 snntorch==1.0.0 norse==1.1.0)
check='import nir, nirtorch, snntorch, norse.torch, torch'
if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
if ! python3 -m venv "$venv" >"$venv.log" 2>&1; then
  echo "SKIPPED: python3 -m venv failed (Debian: apt install python3-venv); see $venv.log"
  rm -rf "$venv"
  exit 77
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" >>"$venv.log" 2>&1; then
  if ! timeout 20 "$venv/bin/pip" download --quiet --no-deps -d "$venv/probe" nir==1.0.8 >/dev/null 2>&1; then
    echo "SKIPPED: PyPI is unreachable (pip install ${packages[*]} failed); see $venv.log"
    rm -rf "$venv"
    exit 77
  fi
  echo "FAILED: pip install ${packages[*]} failed although PyPI answers; see $venv.log"
  exit 1
fi
"$venv/bin/python" -c "$check; print('venv ok: nir', nir.version, 'snntorch', snntorch.__version__, 'torch', torch.__version__)"

#!/bin/bash
# Build the Python package against a PyTorch from PyPI instead of Debian's python3-torch 1.13.1.
#
#   scripts/build_python_pypi_torch.sh TORCH_VERSION [DIR]    # e.g. 2.15.0; DIR: build-torch-<version>
#
# Makes DIR/venv (Debian's /usr/bin/python3, no system site packages) with that torch, numpy,
# pytest and pybind11, configures DIR against that torch's CMake package (the library and the
# extension are compiled against its headers and linked with its libtorch), builds the
# extension and runs the Python tests with it:
#   PYTHONPATH=DIR/python DIR/venv/bin/python -c "import spikessm"
# PyPI's torch wheel for Linux is built for CUDA and does not import without its nvidia-*
# packages: the venv takes about 5.5 GB (torch runs on the CPU here all the same).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 TORCH_VERSION [DIR]" >&2; exit 2; }
version=$1
[[ $version =~ ^[0-9]+(\.[0-9]+){1,2}$ ]] || { echo "$0: TORCH_VERSION '$version' is not like 2.5.1" >&2; exit 2; }
dir=${2:-build-torch-$version}
venv=$dir/venv

if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet "torch==$version" numpy pytest pybind11 safetensors
prefix=$("$venv/bin/python" -c "import torch.utils; print(torch.utils.cmake_prefix_path)")
lib=$("$venv/bin/python" -c "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
pybind=$("$venv/bin/python" -c "import pybind11; print(pybind11.get_cmake_dir())")
echo "torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)') from $prefix"

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix;$pybind" -DSPIKESSM_PYTHON_EXECUTABLE="$venv/bin/python" \
  -DTORCH_LIBRARY="$lib/libtorch.so" -Dc10_LIBRARY="$lib/libc10.so"
# (TorchConfig's own search finds Debian's libtorch.so and libc10.so first when libtorch-dev
# is installed: the two are named explicitly so that headers and libraries match.)
cmake --build "$dir" -j"$(nproc)" --target spikessm spikessm_python
SPIKESSM_CLI="$dir/spikessm" PYTHONPATH="$dir/python" "$venv/bin/python" -m pytest -q tests/python \
  --ignore=tests/python/test_peers.py

#!/usr/bin/env bash
# Installs the Debian 12 packages spikessm needs, skipping what is already present.
#   scripts/setup.sh run   what the main job needs: build the library and the `spikessm` tool,
#                          train on Fashion-MNIST (scripts/run.sh)
#   scripts/setup.sh       everything: also the tests, benchmarks, fuzzers, the Python package,
#                          report figures and the language-model tools (scripts/test.sh)
set -euo pipefail

RUN_PACKAGES=(
  build-essential cmake pkg-config
  libtorch-dev            # LibTorch 1.13: tensors, autograd, FFT, optimizers
  libopenblas0-pthread    # libtorch's BLAS; without it matmuls run ~20x slower
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev zlib1g-dev
  libsleef-dev            # lets ATen's at::vec use AVX2 in our kernels (else ~10x slower)
  libjpeg62-turbo-dev     # decodes the CIFAR-10 JPEG copy (LRA Image)
  libpng-dev nettle-dev   # Pathfinder PNG images; MD5 checks of data files
  libsndfile1-dev         # WAV recordings of the spoken-digit set (FSDD)
  libhdf5-dev             # NIR export/import (HDF5 files)
  libgloo-dev             # headers of the Gloo library libtorch's c10d was built with (data parallel)
  dataset-fashion-mnist   # the default training data: /usr/share/datasets/fashion-mnist
)
TEST_PACKAGES=(
  libgtest-dev googletest libbenchmark-dev   # the test suite and the kernel benchmarks
  gnuplot-nox             # figures of `spikessm report`
  python3-venv            # the NIR test makes a virtualenv and installs `nir` from PyPI
  python3-torch python3-dev pybind11-dev   # the Python package (python/): the same LibTorch as libtorch-dev
  python3-numpy python3-pytest             # its tests (CTest python_*) and examples
  clang libclang-rt-14-dev llvm   # libFuzzer + ASan/UBSan for fuzz/ (scripts/fuzz.sh)
  clang-format            # the code's format (.clang-format), checked by CTest
  sentencepiece           # BPE tokenizer of the LMs: spm_train/spm_encode (its library bundles a
                          # protobuf that clashes with libtorch's, so we run the tools instead)
  bible-kjv bible-kjv-text   # the default LM corpus when no data directory exists
)

case "${1:-all}" in
  run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
  all) PACKAGES=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: scripts/setup.sh [run|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all dependencies present"
fi

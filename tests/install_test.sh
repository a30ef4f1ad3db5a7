#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then a project of its own (tests/install_consumer)
# finds it with find_package(spikessm), builds against spikessm::spikessm and runs; its object
# file is linked once more with only what `pkg-config --libs spikessm` gives, and runs too.
# usage: install_test.sh BUILD_DIR SCRATCH_DIR VERSION
set -euo pipefail
build=$1
work=$2
version=$3
root="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" > "$work/install.log" || fail "cmake --install: $(cat "$work/install.log")"
for f in bin/spikessm lib/libspikessm.a include/spikessm/neurons/lif.h include/spikessm/common/version.h \
         lib/cmake/spikessm/spikessmConfig.cmake lib/cmake/spikessm/spikessmConfigVersion.cmake \
         lib/cmake/spikessm/spikessmTargets.cmake lib/pkgconfig/spikessm.pc share/doc/spikessm/LICENSE \
         share/doc/spikessm/NOTICE; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $f"
done
# A consumer compiles with its own flags: nothing of this build's ISA or warnings leaks.
if grep -rl -e "-march" -e "-Wall" "$prefix/lib/cmake/spikessm" "$prefix/lib/pkgconfig"; then
  fail "build flags leak into the installed package"
fi
"$prefix/bin/spikessm" --version | grep -q "^spikessm $version (commit " ||
  fail "installed CLI: --version says '$("$prefix/bin/spikessm" --version)'"

# CMake: find_package(spikessm) in a fresh project.
cmake -S "$root/tests/install_consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" > "$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "consumer configure"; }
cmake --build "$work/consumer" -j2 >> "$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "consumer build"; }
"$work/consumer/consumer" || fail "the consumer built with find_package failed"

# pkg-config: the include flags compile a file that needs spikessm's and LibTorch's headers
# (torch/version.h lies under LibTorch's API include directory), and the libraries link the
# consumer's object file.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[[ $(pkg-config --modversion spikessm) == "$version" ]] || fail "pkg-config --modversion: $(pkg-config --modversion spikessm)"
read -r -a cflags <<< "$(pkg-config --cflags spikessm)"
read -r -a libs <<< "$(pkg-config --libs spikessm)"
printf '#include <torch/version.h>\n#include "spikessm/common/version.h"\nint main() { return TORCH_VERSION_MAJOR < 1; }\n' > "$work/pc_check.cpp"
c++ "${cflags[@]}" -c "$work/pc_check.cpp" -o "$work/pc_check.o" || fail "pkg-config --cflags do not find the headers"
obj=$(find "$work/consumer" -name 'main.cpp.o' | head -1)
[[ -n "$obj" ]] || fail "no main.cpp.o in the consumer build"
c++ "$obj" -o "$work/consumer_pc" "${libs[@]}" || fail "pkg-config --libs do not link the consumer"
"$work/consumer_pc" || fail "the consumer linked with pkg-config failed"
echo "install_test: ok (find_package and pkg-config consumers of spikessm $version)"

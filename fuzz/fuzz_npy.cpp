// NumPy .npy reader: any bytes give, through both ways in (parse_npy on the bytes, read_npy on a
// file, which memory-maps float32 little-endian C-order arrays), the same C-contiguous tensor
// of the header's shape, or an InputError from both. Seeds (corpus/npy/): numpy.save's own
// files of every dtype, both byte orders and Fortran order (tests/fixtures/arrays/).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/npy.h"

namespace spikessm::fuzz {

int npy_one(const uint8_t* data, size_t size) {
  static MemFile file("npy");
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  torch::Tensor a, b;
  try {
    a = parse_npy(bytes, "fuzz.npy");
  } catch (const InputError&) {
  }
  try {
    b = read_npy(file.hold(data, size));
  } catch (const InputError&) {
  }
  if (a.defined() != b.defined()) std::abort();
  if (!a.defined()) return 0;
  if (!a.is_contiguous() || !b.is_contiguous() || a.sizes() != b.sizes() ||
      a.scalar_type() != b.scalar_type() || a.numel() > kNpyMaxElements ||
      (a.numel() > 0 && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) != 0))
    std::abort();
  // bools as NumPy means them: every byte 0 or 1
  if (a.scalar_type() == torch::kBool && a.numel() > 0 &&
      a.view(torch::kUInt8).max().item<int>() > 1)
    std::abort();
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::npy_one(data, size);
}
#endif

// NumPy .npz reader (a ZIP of .npy members, stored or deflated, ZIP64 sizes): any bytes give
// a non-empty map of C-contiguous arrays, or an InputError; nothing else (no crash, overflow
// or allocation sized by an unchecked field). Seeds (corpus/npz/): numpy.savez and
// numpy.savez_compressed's own archives (tests/fixtures/arrays/).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/npy.h"

namespace spikessm::fuzz {

int npz_one(const uint8_t* data, size_t size) {
  static MemFile file("npz");
  try {
    const auto arrays = read_npz(file.hold(data, size));
    if (arrays.empty()) std::abort();
    for (const auto& [name, t] : arrays) {
      int64_t n = 1;
      for (int64_t d : t.sizes()) n *= d;
      if (!t.is_contiguous() || n != t.numel() || t.numel() > kNpyMaxElements) std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::npz_one(data, size);
}
#endif

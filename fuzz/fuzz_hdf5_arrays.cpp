// HDF5 arrays reader (libhdf5 in a forked child, common/isolated_call.h): any bytes give
// C-contiguous tensors of at most kNpyMaxElements values, or an InputError; a crash inside
// libhdf5 must come back as an InputError, not end this process. Seeds (corpus/hdf5_arrays/):
// h5py's own files, contiguous and gzip-chunked (tests/fixtures/arrays/make_h5_fixtures.py).
#include <cstdint>
#include <cstdlib>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/hdf5_arrays.h"
#include "spikessm/data/npy.h"

namespace spikessm::fuzz {

int hdf5_arrays_one(const uint8_t* data, size_t size) {
  static MemFile file("hdf5_arrays");
  try {
    for (const auto& [name, t] : read_hdf5_arrays(file.hold(data, size))) {
      if (!t.is_contiguous() || t.numel() > kNpyMaxElements || name.empty()) std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::hdf5_arrays_one(data, size);
}
#endif

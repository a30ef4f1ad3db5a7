// IDX reader (raw and gzip): any bytes give an IdxArray that is consistent with its header,
// or an InputError; nothing else (no crash, leak, overflow or huge allocation).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "spikessm/common/error.h"
#include "spikessm/data/idx.h"

namespace spikessm::fuzz {

int idx_one(const uint8_t* data, size_t size) {
  // read_idx takes a path: an in-memory file keeps the disk out of the loop.
  static const int fd = memfd_create("idx", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) std::abort();
  try {
    auto a = spikessm::read_idx(path);
    int64_t n = 1;
    for (int64_t d : a.dims) n *= d;
    if (a.dims.empty() || a.dims.size() > 4 || n != int64_t(a.data.size())) std::abort();
  } catch (const spikessm::InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::idx_one(data, size);
}
#endif

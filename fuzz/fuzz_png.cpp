// PNG reader (libpng's simplified API, any colour type to gray): any bytes give an (H, W)
// uint8 image or an InputError. Odd first byte: the harness first repairs every chunk's CRC,
// so mutations get past libpng's checksums into the header and image data (libpng itself is
// not instrumented: Debian's build).
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/png_io.h"

namespace spikessm::fuzz {

// Chunks after the 8-byte signature: length (4, big endian), type (4), data, CRC of type + data.
inline void repair_png_crcs(std::string& f) {
  size_t at = 8;
  while (at + 12 <= f.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(f.data()) + at;
    const uint64_t len = uint64_t(p[0]) << 24 | uint64_t(p[1]) << 16 | uint64_t(p[2]) << 8 | p[3];
    if (len > f.size() - at - 12) break;
    const uLong crc = crc32(0, p + 4, uInt(len + 4));
    for (int i = 0; i < 4; ++i) f[at + 8 + len + i] = char((crc >> (24 - 8 * i)) & 0xff);
    at += 12 + len;
  }
}

int png_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static MemFile file("png");
  std::string f(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) repair_png_crcs(f);
  try {
    const auto img = read_png_gray(file.hold(reinterpret_cast<const uint8_t*>(f.data()), f.size()));
    if (img.dim() != 2 || img.scalar_type() != torch::kUInt8 || img.numel() == 0) std::abort();
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::png_one(data, size);
}
#endif

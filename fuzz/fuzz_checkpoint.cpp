// Checkpoint container and metadata: any bytes are decoded or refused with an InputError.
// Odd first byte: the harness first repairs both CRC32s, so the fuzzer gets past the
// checksums into the section and metadata parsers. Accepted files must re-encode to the
// same bytes (a file of a newer format version is read as this one: it re-encodes to the same
// bytes once the version field and the header checksum are set back to its own).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "spikessm/common/error.h"
#include "spikessm/common/checkpoint_format.h"

namespace spikessm::fuzz {

inline void put_u32_at(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = char((v >> (8 * i)) & 0xff);
}

int checkpoint_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) && file.size() >= kCkptHeaderBytes) {
    put_u32_at(file, 24, crc32_of(file.data() + kCkptHeaderBytes, file.size() - kCkptHeaderBytes));
    put_u32_at(file, 28, crc32_of(file.data(), 28));
  }
  try {
    auto sections = decode_checkpoint(file.data(), file.size(), "fuzz.pt");
    std::string again = encode_checkpoint(sections);
    std::memcpy(&again[8], &file[8], 4);  // decode accepted the file's version (>= ours)
    put_u32_at(again, 28, crc32_of(again.data(), 28));
    if (again != file) std::abort();
    parse_checkpoint_meta(sections, "fuzz.pt");
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::checkpoint_one(data, size);
}
#endif

// safetensors files (common/safetensors_format.h): any bytes are parsed or refused with an
// InputError. An accepted file must re-encode, from its own entries and data, to a file that
// parses to the same entries (the writer and the reader agree).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "spikessm/common/error.h"
#include "spikessm/common/safetensors_format.h"

namespace spikessm::fuzz {

int safetensors_one(const uint8_t* data, size_t size) {
  const std::string file(reinterpret_cast<const char*>(data), size);
  try {
    const auto f = parse_safetensors(file.data(), file.size(), "fuzz.safetensors");
    std::vector<std::string> blocks;
    for (const auto& e : f.entries)
      blocks.push_back(file.substr(f.data_start + e.begin, e.end - e.begin));
    const std::string again = encode_safetensors(f.entries, blocks, f.metadata);
    const auto g = parse_safetensors(again.data(), again.size(), "again.safetensors");
    if (g.entries.size() != f.entries.size() || g.metadata != f.metadata) std::abort();
    for (size_t i = 0; i < f.entries.size(); ++i)
      if (g.entries[i].name != f.entries[i].name || g.entries[i].shape != f.entries[i].shape ||
          g.entries[i].dtype != f.entries[i].dtype ||
          again.compare(g.data_start + g.entries[i].begin, g.entries[i].end - g.entries[i].begin,
                        blocks[i]) != 0)
        std::abort();
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::safetensors_one(data, size);
}
#endif

// NIR reader: any bytes, as an HDF5 file image (read_nir_image: HDF5's core driver, the same
// reader as read_nir), give a graph whose arrays match their shapes, or an InputError.
// HDF5 itself is not instrumented (Debian's build): coverage is of our reader.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "spikessm/common/error.h"
#include "spikessm/io/nir.h"

namespace spikessm::fuzz {

inline void check_values(const std::map<std::string, NirValue>& values) {
  for (const auto& [k, v] : values)
    if (v.kind != NirValue::String && int64_t(v.data.size()) != v.numel()) std::abort();
}

inline void check_graph(const NirGraph& g) {
  check_values(g.metadata);
  for (const auto& [name, node] : g.nodes) {
    check_values(node.params);
    check_values(node.metadata);
    if ((node.type == "NIRGraph") != bool(node.graph)) std::abort();
    if (node.graph) check_graph(*node.graph);
  }
}

int nir_one(const uint8_t* data, size_t size) {
  try {
    check_graph(read_nir_image(std::string(reinterpret_cast<const char*>(data), size), "fuzz.nir"));
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
// HDF5 1.10.8 leaks 64 bytes in its own error path when H5Dopen2 fails on a corrupt object
// header (every handle of ours is closed by RAII): leaks allocated inside libhdf5 are not
// reported, ours still are.
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::nir_one(data, size);
}
#endif

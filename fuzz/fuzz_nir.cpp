// NIR reader: any bytes, as an HDF5 file image, through read_nir_image (the parse in a forked
// child, as users get it) give a graph whose arrays match their shapes, or an InputError.
// libFuzzer sees no coverage from the child, so every input whose child did not die is parsed
// again in this process (the child, a copy of this process, just showed that parse does not
// fault) and must give the same graph or the same error.
// HDF5 itself is not instrumented (Debian's build): coverage is of our reader.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../src/export/nir_isolated.h"
#include "spikessm/common/error.h"
#include "spikessm/export/nir.h"

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
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string guarded;  // the graph, serialised, or "error: <message>"
  try {
    const auto g = read_nir_image(bytes, "fuzz.nir");
    check_graph(g);
    guarded = serialize_nir(g);
  } catch (const InputError& e) {
    guarded = std::string("error: ") + e.what();
    // The child died inside libhdf5 (or ran out of time): nothing to repeat here.
    if (guarded.find("failed inside the library") != std::string::npos ||
        guarded.find("file took more than") != std::string::npos)
      return 0;
  }
#ifndef SPIKESSM_FUZZ_NO_MAIN
  std::string direct;
  try {
    direct = serialize_nir(read_nir_image_in_process(bytes, "fuzz.nir"));
  } catch (const InputError& e) {
    direct = std::string("error: ") + e.what();
  }
  if (direct != guarded) std::abort();
#endif
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

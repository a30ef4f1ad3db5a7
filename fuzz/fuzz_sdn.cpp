// SDN files: the weights JSON (odd first byte clear) or the binary SDN data file (first byte
// odd), the rest of the input being the file. Anything accepted must be well formed: weights
// finite, shaped as the folded net and tau in (0, 1]; data tensors (n, L) matching the size.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/neurons/sdn.h"
#include "spikessm/neurons/sdn_train.h"

namespace spikessm::fuzz {

inline bool finite_of_shape(const torch::Tensor& t, std::vector<int64_t> shape) {
  return t.defined() && t.sizes() == c10::IntArrayRef(shape) && t.isfinite().all().item<bool>();
}

int sdn_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    if (data[0] & 1) {
      static MemFile file("sdn_data");
      const auto d = load_sdn_data(file.hold(data + 1, size - 1));
      const int64_t n = d.input.size(0), L = d.input.size(1);
      if (d.mem.sizes() != d.input.sizes() || d.spike.sizes() != d.input.sizes() ||
          28 + 9 * n * L != int64_t(size - 1) || !(d.tau > 0 && d.tau <= 1))
        std::abort();
    } else {
      const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
      const auto w = parse_sdn_weights(text, "fuzz.json");
      if (!(w.tau > 0 && w.tau <= 1) || !finite_of_shape(w.w1, {kSdnWidth, kSdnTaps}) ||
          !finite_of_shape(w.b1, {kSdnWidth}) || !finite_of_shape(w.w2, {kSdnWidth, kSdnWidth}) ||
          !finite_of_shape(w.b2, {kSdnWidth}) || !finite_of_shape(w.w3, {kSdnWidth}) ||
          !finite_of_shape(w.b3, {1}))
        std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
namespace spikessm {
// The library's copy is generated at configure time; the harness fuzzes files, not it.
extern const char* const kBuiltinSdnJson;
const char* const kBuiltinSdnJson = "";
}  // namespace spikessm
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::sdn_one(data, size);
}
#endif

// ListOps TSV reader and the S4 tokeniser: any bytes give rows with digit targets whose
// encoding holds only vocabulary ids, or an InputError. Each accepted source also goes
// through the direct evaluator (InputError for a malformed expression, else a digit).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/listops.h"

namespace spikessm::fuzz {

int listops_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static MemFile file("listops");
  const int64_t l_max = 1 + data[0] % 64;  // short enough that truncation is exercised
  try {
    const auto rows = read_listops_tsv(file.hold(data + 1, size - 1));
    if (rows.source.size() != rows.target.size()) std::abort();
    torch::Tensor x, y;
    encode_listops(rows, l_max, x, y);
    if (x.size(0) != int64_t(rows.source.size()) || x.size(1) != l_max + 1 ||
        x.min().item<int64_t>() < 0 || x.max().item<int64_t>() >= kListOpsVocab ||
        y.min().item<int64_t>() < 0 || y.max().item<int64_t>() > 9)
      std::abort();
    for (const auto& s : rows.source) {
      try {
        const int v = evaluate_listops(s);
        if (v < 0 || v > 9) std::abort();
      } catch (const InputError&) {
      }
    }
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::listops_one(data, size);
}
#endif

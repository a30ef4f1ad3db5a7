// Time-series archive .ts reader: any bytes give rows consistent with themselves, or an
// InputError. Accepted: x (N, L, C) with N, L, C >= 1, lengths in 1..L with L reached, zeros
// after each row's length, NaN exactly at the missing values counted, one label per row
// (classes) or one target per row (regression) or none, labels among the header's classes.
// Seeds (corpus/ts/): the fixtures' .ts files and aeon's layout of univariate, multivariate,
// unequal-length, missing-value and regression files.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/ts_format.h"

namespace spikessm::fuzz {

int ts_one(const uint8_t* data, size_t size) {
  static MemFile file("ts");
  try {
    const TsData d = read_ts(file.hold(data, size));
    if (d.x.dim() != 3 || d.x.size(0) < 1 || d.x.size(1) < 1 || d.x.size(2) < 1) std::abort();
    const int64_t N = d.x.size(0), L = d.x.size(1);
    if (d.lengths.numel() != N || d.lengths.min().item<int64_t>() < 1 ||
        d.lengths.max().item<int64_t>() != L)
      std::abort();
    const auto steps = torch::arange(L).view({1, L, 1});
    const auto padding = steps.ge(d.lengths.view({N, 1, 1})).expand_as(d.x);
    if (d.x.masked_select(padding).ne(0).any().item<bool>()) std::abort();
    if (d.x.isnan().sum().item<int64_t>() != d.missing) std::abort();
    if (!d.labels.empty() && int64_t(d.labels.size()) != N) std::abort();
    if (!d.targets.empty() && int64_t(d.targets.size()) != N) std::abort();
    for (const auto& l : d.labels)
      if (std::find(d.class_names.begin(), d.class_names.end(), l) == d.class_names.end())
        std::abort();
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::ts_one(data, size);
}
#endif

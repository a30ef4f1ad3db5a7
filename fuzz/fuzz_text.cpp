// LRA text readers: first byte even, the rest is an AAN pair TSV; odd, it is one IMDB review
// (DIR/train/pos/0.txt beside a fixed negative one). The first byte also picks l_max (1..32),
// so truncation is exercised. Anything accepted: ids are padding or bytes + 3, labels 0/1.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "memfile.h"
#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/data/text_io.h"
#include "spikessm/data/text_tasks.h"
#include "tempdir.h"

namespace spikessm::fuzz {

inline bool tokens_ok(const torch::Tensor& x, const torch::Tensor& y, int64_t l_max) {
  return x.size(-1) == l_max && x.size(0) == y.size(0) && x.min().item<int64_t>() >= 0 &&
         x.max().item<int64_t>() < kByteVocab && y.min().item<int64_t>() >= 0 &&
         y.max().item<int64_t>() <= 1 && !x.eq(1).any().item<bool>() && !x.eq(2).any().item<bool>();
}

int text_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int64_t l_max = 1 + (data[0] >> 1) % 32;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  torch::Tensor x, y;
  try {
    if (data[0] & 1) {
      static TempDir dir("fuzz_imdb");
      static const bool made = [] {
        std::filesystem::create_directories(dir.path + "/train/pos");
        std::filesystem::create_directories(dir.path + "/train/neg");
        write_file_atomic(dir.path + "/train/neg/0.txt", "A fixed negative review.");
        return true;
      }();
      (void)made;
      write_file_atomic(dir.path + "/train/pos/0.txt", text);
      read_imdb_split(dir.path, "train", l_max, x, y);
      const auto want = byte_tokens(text, l_max);
      if (x.size(0) != 2 || y[1].item<int64_t>() != 1 ||
          x[1].slice(0, 0, int64_t(want.size())).ne(torch::tensor(want)).any().item<bool>())
        std::abort();
    } else {
      static MemFile file("aan");
      read_aan_tsv(file.hold(data + 1, size - 1), l_max, x, y);
      if (x.dim() != 3 || x.size(1) != 2) std::abort();
    }
    if (!tokens_ok(x, y, l_max)) std::abort();
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::text_one(data, size);
}
#endif

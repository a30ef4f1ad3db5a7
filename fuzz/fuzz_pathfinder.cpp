// Pathfinder folder reader: the input is the metadata file metadata/0.npy of a fixed folder
// whose imgs/0/ holds an 8x8 PNG (sample_0), a 6x6 one (sample_1), an empty file (sample_2,
// skipped as S4 does), a non-PNG (sample_3) and a folder (sample_4). Anything accepted:
// (N, 8, 8) or (N, 6, 6) images (never both sizes mixed) with 0/1 labels.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/data/pathfinder.h"
#include "spikessm/data/png_io.h"
#include "spikessm/data/text_io.h"
#include "tempdir.h"

namespace spikessm::fuzz {

int pathfinder_one(const uint8_t* data, size_t size) {
  static TempDir dir("fuzz_pathfinder");
  static const bool made = [] {
    const std::string imgs = dir.path + "/imgs/0";
    std::filesystem::create_directories(imgs + "/sample_4.png");
    std::filesystem::create_directories(dir.path + "/metadata");
    write_png_gray(imgs + "/sample_0.png", torch::arange(64, torch::kUInt8).view({8, 8}));
    write_png_gray(imgs + "/sample_1.png", torch::arange(36, torch::kUInt8).view({6, 6}));
    write_file_atomic(imgs + "/sample_2.png", "");
    write_file_atomic(imgs + "/sample_3.png", "not a png");
    return true;
  }();
  (void)made;
  write_file_atomic(dir.path + "/metadata/0.npy",
                    std::string(reinterpret_cast<const char*>(data), size));
  try {
    const auto set = read_pathfinder_dir(dir.path, 0);
    const int64_t side = set.images.dim() == 3 ? set.images.size(1) : 0;
    if ((side != 8 && side != 6) || set.images.size(2) != side ||
        set.labels.sizes() != c10::IntArrayRef{set.images.size(0)} ||
        set.labels.min().item<int64_t>() < 0 || set.labels.max().item<int64_t>() > 1)
      std::abort();
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::pathfinder_one(data, size);
}
#endif

// CIFAR JPEG tar: the first byte even feeds the rest to the JPEG decoder, odd to the tar
// reader (md5 check off). Anything accepted must be 32x32 gray images with labels 0..9.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/cifar_gray.h"

namespace spikessm::fuzz {

inline bool images_ok(const torch::Tensor& img, const torch::Tensor& lab) {
  return img.dim() == 3 && img.size(1) == 32 && img.size(2) == 32 &&
         lab.sizes() == c10::IntArrayRef{img.size(0)} && lab.min().item<int64_t>() >= 0 &&
         lab.max().item<int64_t>() <= 9;
}

int cifar_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    if (data[0] & 1) {
      static MemFile file("cifar_tar");
      const auto c = load_cifar_gray_tar(file.hold(data + 1, size - 1), false);
      if (!images_ok(c.train_images, c.train_labels) || !images_ok(c.test_images, c.test_labels))
        std::abort();
    } else {
      const std::string jpeg(reinterpret_cast<const char*>(data) + 1, size - 1);
      const auto g = decode_jpeg_gray(jpeg, "fuzz.jpg");
      if (g.sizes() != c10::IntArrayRef{32, 32} || g.scalar_type() != torch::kUInt8) std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::cifar_one(data, size);
}
#endif

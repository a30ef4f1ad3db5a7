// Sequential image task: images become (N, L, 1) sequences, one pixel per step.
#include "spikessm/data/pixel_sequence.h"

#include <cmath>
#include <string>

#include "spikessm/common/error.h"

namespace spikessm {
namespace {

constexpr const char* kWhere = "to_pixel_sequences";

// splitmix64 (Steele, Lea, Flood 2014): tiny, fully specified, so the permutation is
// reproducible anywhere from the seed alone.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound): reject the low (2^64 mod bound) values so r % bound is unbiased.
  uint64_t below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }
};

std::string shape_str(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

}  // namespace

torch::Tensor pixel_permutation(int64_t L, uint64_t seed) {
  require(L >= 0, "pixel_permutation", "length " + std::to_string(L) + " (expected >= 0)");
  torch::Tensor perm = torch::arange(L, torch::kInt64);  // (L,)
  int64_t* p = perm.data_ptr<int64_t>();
  SplitMix64 rng{seed};
  for (int64_t i = L - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i) + 1));
    std::swap(p[i], p[j]);
  }
  return perm;
}

torch::Tensor to_pixel_sequences(const torch::Tensor& images_u8, const PixelSequenceOptions& opt) {
  require(images_u8.defined() && images_u8.dim() == 3, kWhere,
          "images have shape " + (images_u8.defined() ? shape_str(images_u8) : "undefined") +
              " (expected (N, H, W))");
  require(images_u8.scalar_type() == torch::kUInt8, kWhere,
          std::string("images have dtype ") + c10::toString(images_u8.scalar_type()) +
              " (expected uint8)");
  const int64_t N = images_u8.size(0), H = images_u8.size(1), W = images_u8.size(2);
  const int p = opt.pool;
  require(p >= 1 && H % p == 0 && W % p == 0, kWhere,
          "pool " + std::to_string(p) + " does not divide image size " + std::to_string(H) + "x" +
              std::to_string(W) + " (expected a positive divisor of both, e.g. 1 or 2)");
  require(std::isfinite(opt.mean) && std::isfinite(opt.std) && opt.std > 0.f, kWhere,
          "mean " + std::to_string(opt.mean) + ", std " + std::to_string(opt.std) +
              " (expected finite values and std > 0)");

  torch::Tensor x = images_u8.to(torch::kFloat32);  // (N, H, W)
  if (p > 1) {
    // Pool on raw 0..255 values: the block sum is exact in float, so the result is the
    // block mean up to one rounding.
    x = torch::avg_pool2d(x.unsqueeze(1), {p, p}, {p, p}).squeeze(1);  // (N, H/p, W/p)
  }
  const int64_t L = (H / p) * (W / p);
  x = x.reshape({N, L, 1});  // row-major pixel order: t = row * (W/p) + col
  x.div_(255.f);
  if (opt.mean != 0.f || opt.std != 1.f) x.sub_(opt.mean).div_(opt.std);
  if (opt.permute) {
    // step t reads pixel perm[t]
    x = x.index_select(1, pixel_permutation(L, opt.permutation_seed));  // (N, L, 1)
  }
  return x.contiguous();
}

}  // namespace spikessm

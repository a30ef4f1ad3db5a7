#pragma once
// The sequential image task (sMNIST / psMNIST / sFashion-MNIST): each image is read one
// pixel per time step, row-major, optionally in a fixed random pixel order.
#include <torch/torch.h>

#include <cstdint>

namespace spikessm {

struct PixelSequenceOptions {
  int pool = 1;          // p x p average pooling first; 2 gives L = 196 for 28x28
  bool permute = false;  // apply pixel_permutation(L, permutation_seed)
  uint64_t permutation_seed = 0;
  float mean = 0.f;  // standardise (x / 255 - mean) / std, fixed constants
  float std = 1.f;
};

// A fixed permutation of [0, L), a function of (L, seed) only: Fisher-Yates (i from L-1
// down to 1, swap i with j uniform in [0, i]) driven by splitmix64 seeded with `seed`, j
// drawn by rejection so it is unbiased. Our own generator, not torch's, so the order
// (and hence every psMNIST result) stays the same across library versions.
// -> (L,) int64
torch::Tensor pixel_permutation(int64_t L, uint64_t seed);

// images_u8: (N, H, W) uint8 -> (N, L, 1) float32, L = (H / pool) * (W / pool).
// Step t of a permuted sequence holds pooled pixel perm[t] of the row-major order.
// Throws InputError on a wrong dtype/rank, pool < 1, pool not dividing H and W, std <= 0.
torch::Tensor to_pixel_sequences(const torch::Tensor& images_u8,
                                 const PixelSequenceOptions& opt = {});

}  // namespace spikessm

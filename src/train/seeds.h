#pragma once
// Seeds derived from (train.seed, counter): data order per epoch, augmentation and dropout
// per step and rank. splitmix64's finaliser, so neighbouring counters give unrelated seeds.
#include <cstdint>

namespace spikessm {

inline uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) & 0x7FFFFFFFFFFFull;
}

}  // namespace spikessm

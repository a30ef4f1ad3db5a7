#pragma once
// s4's `cosine_warmup`: linear warm-up from 0, then cosine decay to 0; stepped per step.
#include <cmath>
#include <cstdint>

namespace spikessm {

// Multiplier of the peak learning rate at `step` (0-based) of `total` steps.
inline double lr_factor(int64_t step, int64_t warmup, int64_t total) {
  if (warmup > 0 && step < warmup) return double(step + 1) / double(warmup);
  const int64_t span = total - warmup;
  if (span <= 0) return 1.0;
  const double progress = double(step - warmup) / double(span);
  return 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

}  // namespace spikessm

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

// train.anneal_to_budget: with a time budget the schedule follows whichever is further along,
// the step or the budget's elapsed share of `total` steps. The learning rate then reaches the
// end of its decay when the budget runs out, however slow the (shared) machine is, instead of
// the run being cut off at a high rate. Off (or no budget): the plain step schedule.
inline double budget_lr_factor(int64_t step, int64_t warmup, int64_t total, double seconds,
                               double max_seconds, bool anneal_to_budget) {
  if (!anneal_to_budget || max_seconds <= 0) return lr_factor(step, warmup, total);
  const auto by_time = int64_t(std::min(1.0, seconds / max_seconds) * double(total));
  return lr_factor(std::max(step, by_time), warmup, total);
}

}  // namespace spikessm

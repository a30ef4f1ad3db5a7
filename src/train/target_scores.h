#pragma once
// The loss and scores of a classifier's outputs against its targets, one home for training
// and evaluation. The target's dtype and rank say what it is:
//   y (B,) int64 class ids                           logits (B, K): cross-entropy
//   y (B, K) float values                            logits (B, K): squared error
//   y (B, L) int64 class ids a step, -1 at padding   logits (B, L', K): cross-entropy a step
//   y (B, L, K) float values a step, NaN at padding  logits (B, L', K): squared error a step
// L' <= L: the model cut the batch to its longest row; the steps after it are padding.
#include <torch/torch.h>

namespace spikessm {

// Whether y holds a target a step (per-step classes or values) rather than one a row.
inline bool per_step_targets(const torch::Tensor& y) {
  return y.dim() == (y.is_floating_point() ? 3 : 2);
}

struct TargetScore {
  torch::Tensor loss;       // scalar, differentiable: mean cross-entropy over the scored
                            // predictions, or mean squared error over the scored values
  int64_t units = 0;        // predictions scored: rows, or valid steps
  int64_t values = 0;       // regression: values scored (units x K)
  int64_t correct = 0;      // classes: correct predictions
  double abs_sum = 0;       // regression: summed absolute error
  double loss_sum() const;  // loss x units (classes) or x values (regression)
};

TargetScore score_targets(const torch::Tensor& logits, const torch::Tensor& y);

// R^2 denominator: squared deviations of the valid target values from each target's mean.
// y: (N, K) or (N, L, K) with NaN at padding.
double target_sum_of_squares(const torch::Tensor& y);

}  // namespace spikessm

#pragma once
// Stateless Heaviside spike of Binary S4D (papers.md 2.1): y = H(x - v_th) applied straight
// to the SSM readout, no membrane, leak or reset. Forward exactly 0/1 (H(0) = 1); backward
// the surrogate slope at x - v_th.
#include <torch/torch.h>

#include "spikessm/common/surrogate.h"

namespace spikessm {

struct HeavisideOptions {
  double v_th = 0.0;  // Binary S4D thresholds the readout C u + D x at 0
  Surrogate surrogate = Surrogate::Triangle;
  float surrogate_alpha = 4.0f;
};

// x: any shape, float32/float64 -> s: same shape. Fused CPU kernel (elementwise).
torch::Tensor heaviside_spike(const torch::Tensor& x, const HeavisideOptions& opt = {});

namespace ref {
// Reference twin: ATen ops and the shared reference spike function.
torch::Tensor heaviside_spike(const torch::Tensor& x, const HeavisideOptions& opt = {});
}  // namespace ref

}  // namespace spikessm

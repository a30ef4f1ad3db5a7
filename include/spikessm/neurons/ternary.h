#pragma once
// Ternary spike / quantiser Ter(x) of the GSU (Stan & Rhodes as re-implemented by PRF,
// papers.md 2.1):
//   th = ratio * max|x|   (ratio 0.15: a dynamic threshold)
//   Ter(x) = scale * (H(x - th) - H(-x - th))  in {-scale, 0, +scale}
// scale is a trainable scalar tensor (PRF: exp of a log-parameter, init 1; the caller
// chooses the parameterisation and passes the scale itself).
//
// Threshold scope: PRF takes the max over the whole tensor. Over activations (B, L, D) that
// couples the batch and makes step t depend on future steps, which breaks streaming
// inference, so the default is per row: the max over the last dimension (D), i.e. per
// (b, t) for activations and per output row for a weight (out, in). Scope::Tensor gives the
// PRF behaviour (use it for ternarising weights like PRF, too).
//
// Backward: the threshold is treated as a constant (no gradient through max|x|, as PRF's
// forward-computed threshold), each Heaviside gets its surrogate slope:
//   dTer/dx = scale (sg(x - th) + sg(-x - th)),   dTer/dscale = H(x - th) - H(-x - th).
// Stan & Rhodes' own surrogate is not known (papers.md 2.2); PRF uses an ATan surrogate,
// which is the default here with SpikingJelly's ATan default alpha = 2. A straight-through
// box is Surrogate::Rectangle.
#include <torch/torch.h>

#include "spikessm/common/surrogate.h"

namespace spikessm {

enum class TernaryScope { Row, Tensor };

struct TernaryOptions {
  TernaryScope scope = TernaryScope::Row;
  double ratio = 0.15;
  Surrogate surrogate = Surrogate::Atan;
  float surrogate_alpha = 2.0f;
};

// x: (..., D) float32/float64, scale: one element of x's dtype -> q: x's shape.
// Fused CPU kernel: one pass for the row maxima, one for the output.
torch::Tensor ternary_spike(const torch::Tensor& x, const torch::Tensor& scale,
                            const TernaryOptions& opt = {});

namespace ref {
// Reference twin: ATen ops and the shared reference spike function.
torch::Tensor ternary_spike(const torch::Tensor& x, const torch::Tensor& scale,
                            const TernaryOptions& opt = {});
}  // namespace ref

}  // namespace spikessm

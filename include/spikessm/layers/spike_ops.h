#pragma once
// Two small spiking activations of Binary S4D and the gated spiking unit (papers.md 2.1).
// Forward is exact (spikes are exactly 0/1, ternary values exactly {-s, 0, s}); the
// surrogate (neurons/surrogate.h) only shapes backward.
#include <torch/torch.h>

#include "spikessm/neurons/surrogate.h"

namespace spikessm {

// Stateless Heaviside spike: no membrane, leak or reset.
// x: any shape -> s = 1[x >= 0], same shape; ds/dx = surrogate(x).
torch::Tensor heaviside_spike(const torch::Tensor& x, Surrogate kind, double alpha);

// Ternarisation with a dynamic threshold th = ratio * max|x| (no gradient through th):
//   Ter(x) = scale * (H(x - th) - H(-x - th))  in {-scale, 0, scale}
// x: any shape, scale: 0-dim positive tensor (trainable) -> same shape as x.
// dTer/dx = scale * (sg(x - th) + sg(-x - th));  dTer/dscale = H(x - th) - H(-x - th).
torch::Tensor ternarize(const torch::Tensor& x, const torch::Tensor& scale, double ratio,
                        Surrogate kind, double alpha);

// The surrogate derivative applied elementwise with tensor ops. x: any shape -> same shape.
torch::Tensor surrogate_grad_tensor(const torch::Tensor& x, Surrogate kind, double alpha);

}  // namespace spikessm

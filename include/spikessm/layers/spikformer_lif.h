#pragma once
// Spikformer's neuron on time-first tensors.
#include <torch/torch.h>

namespace spikessm {

// spikingjelly's MultiStepLIFNode (tau 2, decay_input, hard reset to 0, detach_reset, sigmoid
// surrogate alpha 4): u' = (1 - 1/tau) u + x / tau, s = H(u' - v_th). That is our fused
// lif_multistep with decay 1 - 1/tau on the input x / tau; the time axis (dim 0 here) becomes
// its L axis and every other element a channel, so no copy is needed.
// x: (T, ...) -> s: (T, ...) in {0, 1}
torch::Tensor spikformer_lif(const torch::Tensor& x, double v_th, double tau = 2.0);

}  // namespace spikessm

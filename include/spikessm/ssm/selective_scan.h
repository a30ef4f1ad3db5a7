#pragma once
// Selective linear scan: the input-dependent-decay recurrence of NeuronSpark's neurons
// without the spike-and-reset (papers.md 3.1), i.e. a real diagonal Mamba-like scan
//   h[t] = beta[t] h[t-1] + u[t],   h[-1] = h0
// It is the non-spiking same-size twin of the selective PLIF (u = gain * I) and of the
// fixed-parameter PLIF (beta per channel, u = (1 - beta) x).
#include <torch/torch.h>

namespace spikessm {

// u: (B, L, D) float32/float64; beta: (B, L, D) or (D) of u's dtype; h0: (B, D) or undefined
// (zeros) -> h: (B, L, D). Gradients to u, beta and h0. Fused CPU kernel, one pass each way.
torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& beta,
                             const torch::Tensor& h0 = {});

namespace ref {
// Reference twin: a loop over time of ATen ops, differentiated by autograd.
torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& beta,
                             const torch::Tensor& h0 = {});
}  // namespace ref

}  // namespace spikessm

#pragma once
// Selective PLIF neuron of NeuronSpark (papers.md 3.1-3.2): decay, input gain and threshold
// are given per element, i.e. computed from the input at every step, so the neuron is a
// selective (Mamba-like) state space model with a spike-and-soft-reset nonlinearity:
//   V_pre[t]  = beta[t] V_post[t-1] + gain[t] I[t]
//   s[t]      = H(V_pre[t] - v_th[t])
//   V_post[t] = V_pre[t] - v_th[t] s[t]                      (soft reset), V_post[-1] = v0
//
// The op takes beta, gain (the paper's alpha(t)) and v_th *already activated*:
// beta = sigmoid(W_beta leak + b_beta), gain = softplus(W_alpha leak + b_alpha),
// v_th = V_min + |W_th leak + b_th| are elementwise ATen ops in the block. Keeping them out
// of the kernel leaves the parameterisation (and NeuronSpark's natural-gradient
// compensation of b_beta, b_alpha, which needs beta(1 - beta)) to the caller, and keeps the
// kernel free of transcendental functions in its hot loop.
//
// Outputs both the spikes and V_post: the hidden selective neurons feed W_out with raw
// V_post (papers.md 3.2); the leak signal (1 - beta) V_post of the fixed-parameter PLIF is
// one ATen op on top. Gradients flow to every input (and v0) through both outputs.
#include <torch/torch.h>

#include "spikessm/common/surrogate.h"

namespace spikessm {

struct SelectivePlifOptions {
  Surrogate surrogate = Surrogate::Sigmoid;  // NeuronSpark: spikingjelly Sigmoid(alpha = 4)
  float surrogate_alpha = 4.0f;
  bool detach_reset = false;  // true: no gradient through s in the reset
};

struct SelectivePlifOutput {
  torch::Tensor s;  // (B, L, D) spikes, exactly 0 or 1
  torch::Tensor v;  // (B, L, D) V_post, the membrane after the reset
};

// current, beta, gain, v_th: (B, L, D) float32/float64, same dtype; v0: (B, D) initial
// membrane or undefined (zeros) -> s, v: (B, L, D). Fused CPU kernel, one pass over time
// forward and one reverse pass backward.
SelectivePlifOutput selective_plif(const torch::Tensor& current, const torch::Tensor& beta,
                                   const torch::Tensor& gain, const torch::Tensor& v_th,
                                   const SelectivePlifOptions& opt = {},
                                   const torch::Tensor& v0 = {});

namespace ref {
// Reference twin: a loop over time of ATen ops, differentiated by autograd.
SelectivePlifOutput selective_plif(const torch::Tensor& current, const torch::Tensor& beta,
                                   const torch::Tensor& gain, const torch::Tensor& v_th,
                                   const SelectivePlifOptions& opt = {},
                                   const torch::Tensor& v0 = {});
}  // namespace ref

}  // namespace spikessm

#pragma once
// Multi-step leaky integrate-and-fire neuron (papers.md 1.1-1.2).
//   u'_t = tau * u_{t-1} + x_t,  s_t = H(u'_t - v_th)
//   hard reset: u_t = u'_t (1 - s_t)        soft reset: u_t = u'_t - s_t v_th
#include <torch/torch.h>

#include <string>

#include "spikessm/common/surrogate.h"

namespace spikessm {

struct LifOptions {
  float tau = 0.125f;  // decay; the SDN checkpoint of the paper emulates 0.125
  float v_th = 1.0f;   // threshold
  ResetMode reset = ResetMode::Hard;
  GradMode grad = GradMode::BPTT;
  bool detach_reset = true;  // the paper's iterative neurons detach s in the reset
  Surrogate surrogate = Surrogate::Triangle;
  float alpha = 4.0f;  // sharpness of Sigmoid/Atan surrogates
};

// x: (B, L, D) float32/float64 input current -> s: (B, L, D) spikes in {0, 1}.
// Fused CPU kernel with a custom backward (one reverse pass over time).
torch::Tensor lif_multistep(const torch::Tensor& x, const LifOptions& opt);

// The neuron fed x * scale (per-channel threshold scaling, y / v_th = y exp(-ln v_th)) in one
// kernel: the product is never stored and scale's gradient comes from the same backward pass.
// Same values and gradients as lif_multistep(x * scale, opt), bit for bit.
// x: (B, L, D), scale: (D) -> s: (B, L, D)
torch::Tensor lif_scaled(const torch::Tensor& x, const torch::Tensor& scale, const LifOptions& opt);

// Streaming inference (no autograd): as lif_multistep, starting from the membrane v (after
// reset) and leaving it where the last step left it, so chunks in turn equal one long run.
// x: (B, L, D), v: (B, D) contiguous, x's dtype -> s: (B, L, D); updates v.
torch::Tensor lif_stream(const torch::Tensor& x, const LifOptions& opt, torch::Tensor& v);

namespace ref {
// Reference twin: a plain loop over time of ATen ops, differentiated by autograd.
// x: (B, L, D) -> s: (B, L, D)
torch::Tensor lif_multistep(const torch::Tensor& x, const LifOptions& opt);
// x: (B, L, D), scale: (D) -> s: (B, L, D)
torch::Tensor lif_scaled(const torch::Tensor& x, const torch::Tensor& scale, const LifOptions& opt);
}  // namespace ref

}  // namespace spikessm

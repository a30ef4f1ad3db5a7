#pragma once
// Parametric LIF: a LIF neuron whose decay beta = sigmoid(w) is learned per channel
// (NeuronSpark's PLIFNode, papers.md 3.1; SpikingJelly's ParametricLIF).
//   V_pre[t]  = beta V_post[t-1] + (1 - beta) x[t]     (decay_input; else beta V_post[t-1] + x[t])
//   s[t]      = H(V_pre[t] - v_th)
//   soft reset: V_post[t] = V_pre[t] - v_th s[t];  hard reset: V_post[t] = V_pre[t] (1 - s[t])
// v_th is a per-channel tensor: learnable when it requires grad (NeuronSpark learns it).
// The leak signal NeuronSpark passes between layers, (1 - beta) V_post, is one ATen op on
// the returned membrane.
#include <torch/torch.h>

#include "spikessm/neurons/lif.h"
#include "spikessm/common/surrogate.h"

namespace spikessm {

struct PlifOptions {
  ResetMode reset = ResetMode::Soft;         // NeuronSpark: soft
  bool decay_input = true;                   // scale the input by (1 - beta), as NeuronSpark does
  bool detach_reset = false;                 // true: no gradient through s in the reset
  Surrogate surrogate = Surrogate::Sigmoid;  // NeuronSpark: Sigmoid(alpha = 4)
  float surrogate_alpha = 4.0f;
};

struct PlifOutput {
  torch::Tensor s;  // (B, L, D) spikes, exactly 0 or 1
  torch::Tensor v;  // (B, L, D) V_post, the membrane after the reset
};

// x: (B, L, D), w: (D) decay logits, v_th: (D) thresholds, all one dtype (float32/float64);
// v0: (B, D) initial membrane or undefined (zeros) -> s, v: (B, L, D).
// Gradients to x, w, v_th and v0. Fused CPU kernel, one pass over time each way.
PlifOutput plif_multistep(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& v_th,
                          const PlifOptions& opt = {}, const torch::Tensor& v0 = {});

namespace ref {
// Reference twin: a loop over time of ATen ops, differentiated by autograd.
PlifOutput plif_multistep(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& v_th,
                          const PlifOptions& opt = {}, const torch::Tensor& v0 = {});
}  // namespace ref

}  // namespace spikessm

#pragma once
// NeuronSpark's SNNBlock, the attention analogue (papers.md 3.2): D x N selective PLIF
// neurons whose decay, gain and threshold are computed from the input leak at every frame.
//   I = W_in leak,  beta = sigmoid(W_beta leak + b_beta),  alpha = softplus(W_alpha leak + b_alpha)
//   V_th = V_min + |W_th leak + b_th|,  g = sigmoid(W_gate leak),  I_skip = W_skip leak
//   V_post = selective PLIF(I, beta, alpha, V_th)            (D N neurons, soft reset)
//   out = (W_out V_post) * g + I_skip
// Non-spiking twin: V = selective scan(alpha I, beta) (no spike, no reset); W_th and b_th
// stay registered (same parameter count) but are unused.
// Structured initialisation (App. A) in reset(); hidden neuron j = d N + n has time scale n.
#include <torch/torch.h>

#include "spikessm/layers/neuronspark_parts.h"

namespace spikessm {

struct SnnBlockOptions {
  SnnBlockOptions(int64_t d_model, int64_t n_state) : d_model_(d_model), n_state_(n_state) {}
  TORCH_ARG(int64_t, d_model);  // D
  TORCH_ARG(int64_t, n_state);  // N hidden neurons per channel
  TORCH_ARG(double, v_min) = 0.1;
  TORCH_ARG(double, surrogate_alpha) = 4.0;
  TORCH_ARG(bool, spiking) = true;
  TORCH_ARG(int64_t, k_ref) = 16;       // App. A: K_ref
  TORCH_ARG(double, p_assumed) = 0.15;  // App. A: assumed input rate p
};

class SnnBlockImpl : public torch::nn::Cloneable<SnnBlockImpl> {
 public:
  explicit SnnBlockImpl(const SnnBlockOptions& options) : options(options) { reset(); }
  void reset() override;
  // leak: (B, T, D), v0: (B, D N) or undefined -> (B, T, D); *v_last = V_post at the last
  // frame (B, D N); hidden spikes into *tally.
  torch::Tensor forward(const torch::Tensor& leak, const torch::Tensor& v0 = {},
                        torch::Tensor* v_last = nullptr, const SpikeSink* tally = nullptr);
  // Natural-gradient compensation, phase 1 (papers.md 3.4): grad b_beta /= max(beta(1-beta),
  // 1/c_max), grad b_alpha /= max(sigmoid(b_alpha), 0.1). Call after backward.
  void compensate_gradients(double c_max = 100.0);

  SnnBlockOptions options;
  torch::Tensor w_in, w_beta, w_alpha, w_th;  // (D N, D)
  torch::Tensor w_gate, w_skip;               // (D, D)
  torch::Tensor w_out;                        // (D, D N)
  torch::Tensor b_beta, b_alpha, b_th;        // (D N)
};
TORCH_MODULE(SnnBlock);

}  // namespace spikessm

#pragma once
// NeuronSpark's SNNFFN, the SwiGLU analogue (papers.md 3.3):
//   out = W_down(leak(PLIF_gate(W_gate x)) * leak(PLIF_up(W_up x))) + W_skip x
// with leak(PLIF(.)) = (1 - beta) V_post of a fixed-parameter PLIF node of width D_ff.
// W_down is initialised with a 1/sqrt(layers) scale.
#include <torch/torch.h>

#include "spikessm/layers/neuronspark_parts.h"

namespace spikessm {

struct SnnFfnOptions {
  SnnFfnOptions(int64_t d_model, int64_t d_ff) : d_model_(d_model), d_ff_(d_ff) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, d_ff);
  TORCH_ARG(int64_t, n_layers) = 1;                       // for the W_down scale
  TORCH_ARG(PlifNodeOptions, plif) = PlifNodeOptions(0);  // dim is set to d_ff
};

class SnnFfnImpl : public torch::nn::Cloneable<SnnFfnImpl> {
 public:
  explicit SnnFfnImpl(const SnnFfnOptions& options) : options(options) { reset(); }
  void reset() override;
  // x: (B, T, D), v0_gate, v0_up: (B, D_ff) or undefined -> (B, T, D); the last frame's
  // membranes into *v_gate, *v_up; spikes into the tallies.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& v0_gate = {},
                        const torch::Tensor& v0_up = {}, torch::Tensor* v_gate = nullptr,
                        torch::Tensor* v_up = nullptr, const SpikeSink* tally_gate = nullptr,
                        const SpikeSink* tally_up = nullptr);

  SnnFfnOptions options;
  torch::Tensor w_gate, w_up;  // (D_ff, D)
  torch::Tensor w_down;        // (D, D_ff)
  torch::Tensor w_skip;        // (D, D)
  PlifNode gate{nullptr}, up{nullptr};
};
TORCH_MODULE(SnnFfn);

}  // namespace spikessm

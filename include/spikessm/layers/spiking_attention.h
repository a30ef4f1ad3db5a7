#pragma once
// Spiking self-attention of Spikformer and its two neural-dynamics variants (papers.md 4).
//  ssa      Q, K, V = LIF(BN(Linear(x))); out = LIF_0.5(Q (K^T V) * 0.125) per head (KV form)
//  lrf_ssa  + the local receptive field branch: two 3x3 depthwise convolutions (dilation 3
//           and 5) of V on the patch grid, added to the attention input of LIF_0.5 (4.2)
//  lrf_dyn  the causal neuron-dynamics rewrite (4.3): u_n = k_n * v_n is integrated over the
//           tokens (row-major) by the 8-dendrite recurrence h = NeuralDynamics(u); out =
//           LIF_0.5(q_n * h_n + LRF(h)_n). q gates the membrane as in Eq. 11 (Eq. 13 leaves it
//           implicit). Training: FFT convolution; eval: the O(k d) recurrence, streamed one
//           grid row of tokens at a time (forward_rows) so that only the dendrite state and the
//           2 x 5 + 1 grid rows the dilated LRF reaches are held, never the whole Q, K, V or h.
// Then proj = LIF(BN(Linear(.))). All tensors are time-first: x: (T, B, N, D), N = H' W'.
#include <torch/torch.h>

#include <string>

#include "spikessm/common/kinds.h"
#include "spikessm/layers/neural_dynamics.h"
#include "spikessm/layers/spikformer_lif.h"
#include "spikessm/metrics/recorder.h"

namespace spikessm {

struct SpikingAttentionOptions {
  SpikingAttentionOptions(int64_t d_model, int64_t grid_h, int64_t grid_w)
      : d_model_(d_model), grid_h_(grid_h), grid_w_(grid_w) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, grid_h);  // patch grid: N = grid_h x grid_w tokens
  TORCH_ARG(int64_t, grid_w);
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(AttentionKind, kind) = AttentionKind::Ssa;
  TORCH_ARG(int64_t, dendrites) = 8;
  TORCH_ARG(double, scale) = 0.125;
  TORCH_ARG(double, attn_v_th) = 0.5;
};

// Linear + BatchNorm1d over the channels of time-first tokens.
// x: (T, B, N, Din) -> (T, B, N, Dout)
class LinearBnImpl : public torch::nn::Cloneable<LinearBnImpl> {
 public:
  LinearBnImpl(int64_t d_in, int64_t d_out) : d_in_(d_in), d_out_(d_out) { reset(); }
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  int64_t d_in_, d_out_;
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(LinearBn);

class SpikingAttentionImpl : public torch::nn::Cloneable<SpikingAttentionImpl> {
 public:
  explicit SpikingAttentionImpl(const SpikingAttentionOptions& options);
  void reset() override;
  // x: (T, B, N, D) -> (T, B, N, D) spikes. `name` prefixes the recorder's rows.
  torch::Tensor forward(const torch::Tensor& x);

  SpikingAttentionOptions options;
  LinearBn q{nullptr}, k{nullptr}, v{nullptr}, proj{nullptr};
  torch::nn::Conv2d lrf3{nullptr}, lrf5{nullptr};  // depthwise, dilation 3 and 5 (lrf_*)
  NeuralDynamics dyn{nullptr};                     // lrf_dyn
  StatsRecorderPtr recorder;                       // shared with the model; may be null
  std::string name = "attn";
  // lrf_dyn in eval mode streams grid rows (same output) unless this is cleared or the recorder
  // is on (spike statistics are gathered on whole tensors).
  bool stream_rows = true;

 private:
  // lrf_dyn inference, one grid row at a time. x: (T, B, N, D) -> (T, B, N, D)
  torch::Tensor forward_rows(const torch::Tensor& x);
  // x: (T, B, N, D) -> (T, B, N, D): the two dilated depthwise convolutions on the grid
  torch::Tensor lrf(const torch::Tensor& x);
};
TORCH_MODULE(SpikingAttention);

}  // namespace spikessm

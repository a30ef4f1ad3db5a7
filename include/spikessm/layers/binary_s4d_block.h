#pragma once
// Binary S4D block (Stan & Rhodes, papers.md 2.1): the S4D layer stays linear and parallel;
// its readout goes through a stateless Heaviside spike (no membrane, leak or reset):
//   z = norm(x) if prenorm
//   y = H(S4D(z)) = H(C u + D z)        spikes in {0, 1}   (activation = heaviside)
//     or GELU(S4D(z))                   the non-binary "+ GSU & GeLU" reading (gelu)
//   y = dropout(y) tied across time
//   z = GLU(Linear(H -> 2H)(y))  or  GSU(y)
//   x = x + dropout(z);  x = norm(x) if post-norm
#include <torch/torch.h>

#include "spikessm/common/kinds.h"
#include "spikessm/layers/gsu.h"
#include "spikessm/layers/spiking_ssm_block.h"
#include "spikessm/common/surrogate.h"
#include "spikessm/ssm/s4d.h"

namespace spikessm {

struct BinaryS4DBlockOptions {
  BinaryS4DBlockOptions(int64_t d_model, int64_t d_state) : s4d_(d_model, d_state) {}
  TORCH_ARG(S4DOptions, s4d);
  TORCH_ARG(NormKind, norm) = NormKind::Layer;
  TORCH_ARG(bool, prenorm) = true;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(BinaryActivation, activation) = BinaryActivation::Heaviside;
  TORCH_ARG(Surrogate, surrogate) = Surrogate::Triangle;  // of the Heaviside spike
  TORCH_ARG(double, alpha) = 4.0;
  TORCH_ARG(MixerKind, mixer) = MixerKind::Glu;
  TORCH_ARG(bool, gsu_gelu) = false;
};

class BinaryS4DBlockImpl : public torch::nn::Cloneable<BinaryS4DBlockImpl> {
 public:
  explicit BinaryS4DBlockImpl(const BinaryS4DBlockOptions& options);
  void reset() override;

  // x: (B, L, H) -> (B, L, H)
  torch::Tensor forward(const torch::Tensor& x);

  BinaryS4DBlockOptions options;
  S4D s4d{nullptr};
  torch::nn::Linear mix{nullptr};  // GLU mixer: H -> 2H
  GSU gsu{nullptr};                // GSU mixer
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::BatchNorm1d batch_norm{nullptr};

  // The model's recorder: "<stats_name>.act" counts the spikes of H(.) (heaviside) or the
  // non-zeros of the GELU output; the GSU reports "<stats_name>.gsu".
  void set_recorder(StatsRecorderPtr recorder, const std::string& stats_name);
  StatsRecorderPtr recorder;
  std::string stats_name = "block";
};
TORCH_MODULE(BinaryS4DBlock);

}  // namespace spikessm

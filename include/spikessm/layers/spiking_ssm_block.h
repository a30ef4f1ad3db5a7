#pragma once
// The SpikingSSM block (papers.md 1.3): dendrites = S4D, soma = LIF.
//   z = norm(x) if prenorm
//   z = S4D(z)                      conv + D skip
//   z = z / exp(ln_vth)             learnable per-channel threshold as input scaling
//   z = LIF(z)                      spikes in {0, 1}
//   z = dropout(z) tied across time
//   z = GLU(Linear(H -> 2H)(z))     the only dense weight; its input is binary
//       or Linear(H -> H)(z)        linear_mix (the NIR-standard block: no gate)
//   x = x + dropout(z);  x = norm(x) if post-norm
// Post-norm: the official code computes the norm after the residual and discards it
// (a no-op). We apply it to x as the original S4 does; norm = "none" reproduces the
// official behaviour.
#include <torch/torch.h>

#include <string>

#include "spikessm/common/kinds.h"
#include "spikessm/metrics/recorder.h"
#include "spikessm/neurons/sparse_mix.h"
#include "spikessm/neurons/lif.h"
#include "spikessm/neurons/sdn.h"
#include "spikessm/ssm/s4d.h"

namespace spikessm {

// The soma: the iterative LIF (gradient mode in LifOptions), the frozen pretrained SDN
// (papers.md 1.4), or an SDN trained from scratch jointly with the task ("SDN-S").
enum class NeuronKind { Lif, Sdn, SdnScratch };

struct SpikingSSMBlockOptions {
  SpikingSSMBlockOptions(int64_t d_model, int64_t d_state) : s4d_(d_model, d_state) {}
  TORCH_ARG(S4DOptions, s4d);
  TORCH_ARG(LifOptions, lif);
  TORCH_ARG(NormKind, norm) = NormKind::Layer;
  TORCH_ARG(bool, prenorm) = true;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(bool, learnable_vth) = true;  // per-channel ln_vth, initialised to 0 (v_th = 1)
  TORCH_ARG(bool, spiking) = true;        // false: a same-size S4D+GELU non-spiking twin
  TORCH_ARG(NeuronKind, neuron) = NeuronKind::Lif;
  TORCH_ARG(std::string, sdn_weights) = "";  // NeuronKind::Sdn: weights file ("" = built in)
  // Mixing-layer kernel at inference (eval mode, no grad): event-driven when the measured
  // rate is below the measured crossover (auto), or forced. Training always runs dense.
  TORCH_ARG(MixKernel, mix_kernel) = MixKernel::Auto;
  // Linear(H -> H) on the spikes instead of Linear(H -> 2H) + GLU: NIR has no gating node.
  TORCH_ARG(bool, linear_mix) = false;
};

class SpikingSSMBlockImpl : public torch::nn::Cloneable<SpikingSSMBlockImpl> {
 public:
  explicit SpikingSSMBlockImpl(const SpikingSSMBlockOptions& options);
  void reset() override;

  // x: (B, L, H) -> (B, L, H)
  torch::Tensor forward(const torch::Tensor& x);

  SpikingSSMBlockOptions options;
  S4D s4d{nullptr};
  torch::nn::Linear mix{nullptr};  // H -> 2H, then GLU (H -> H with linear_mix)
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::BatchNorm1d batch_norm{nullptr};
  torch::Tensor ln_vth;     // (H)
  SdnWeights sdn_weights;   // NeuronKind::Sdn: frozen, registered as buffers (checkpointed)
  SdnNet sdn_net{nullptr};  // NeuronKind::SdnScratch: trained with the task

  StatsRecorderPtr recorder;  // the model's; reports "<stats_name>.lif" spikes
  std::string stats_name = "block";
  int64_t sparse_mix_calls = 0, dense_mix_calls = 0;  // inference calls per mixing kernel

 private:
  torch::Tensor mix_glu(const torch::Tensor& z);
  torch::Tensor soma(const torch::Tensor& y);
};
TORCH_MODULE(SpikingSSMBlock);

}  // namespace spikessm

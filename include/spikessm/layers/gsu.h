#pragma once
// Gated spiking unit (GSU), the feature-mixing layer of Stan & Rhodes (papers.md 2.1):
//   GSU(y) = (Ter(W_a) y + b_a) * (W_b Ter(y) + b_b)      [* optionally through GELU]
// Route a: full-precision activations times ternary weights; route b: ternary activations
// times full-precision weights; both need additions only. Ter uses the dynamic threshold
// 0.15 * max|x| and a trainable, log-parameterised scale (initialised to 1), one for the
// weights and one for the activations (PRF's re-implementation, ATan surrogate).
#include <torch/torch.h>

#include "spikessm/common/surrogate.h"
#include "spikessm/metrics/recorder.h"

namespace spikessm {

struct GSUOptions {
  explicit GSUOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(bool, gelu) = false;              // GELU on the output (PRF Table 7's variant)
  TORCH_ARG(double, threshold_ratio) = 0.15;  // th = ratio * max|x|
  TORCH_ARG(Surrogate, surrogate) = Surrogate::Atan;
  TORCH_ARG(double, alpha) = 2.0;  // surrogate sharpness
};

class GSUImpl : public torch::nn::Cloneable<GSUImpl> {
 public:
  explicit GSUImpl(const GSUOptions& options);
  void reset() override;

  // y: (B, L, H) -> (B, L, H)
  torch::Tensor forward(const torch::Tensor& y);

  // Fraction of non-zero entries of Ter(W_a) (for the operation count).
  double weight_density() const;

  GSUOptions options;
  torch::nn::Linear route_a{nullptr}, route_b{nullptr};
  torch::Tensor log_scale_w, log_scale_y;  // 0-dim

  // Non-zero count of Ter(y) while statistics are collected.
  StatsRecorderPtr recorder;  // the model's; reports the non-zeros of Ter(y) as stats_name
  std::string stats_name = "gsu";
};
TORCH_MODULE(GSU);

}  // namespace spikessm

#pragma once
// SpikingSSM sequence classifier: linear encoder -> n SpikingSSM blocks -> mean over time
// -> linear decoder (the s4 pipeline's `encoder: linear`, `decoder: sequence, mode: pool`).
#include <torch/torch.h>

#include <vector>

#include "spikessm/layers/spiking_ssm_block.h"

namespace spikessm {

struct SequenceClassifierOptions {
  SequenceClassifierOptions(int64_t d_input, int64_t n_classes, SpikingSSMBlockOptions block)
      : d_input_(d_input), n_classes_(n_classes), block_(std::move(block)) {}
  TORCH_ARG(int64_t, d_input);
  TORCH_ARG(int64_t, n_classes);
  TORCH_ARG(int64_t, n_layers) = 2;
  TORCH_ARG(SpikingSSMBlockOptions, block);
};

class SequenceClassifierImpl : public torch::nn::Cloneable<SequenceClassifierImpl> {
 public:
  explicit SequenceClassifierImpl(const SequenceClassifierOptions& options);
  void reset() override;

  // x: (B, L, d_input) -> logits: (B, n_classes)
  torch::Tensor forward(const torch::Tensor& x);

  std::vector<SpikingSSMBlock> layers() const;
  void set_collect_stats(bool on);  // also zeroes the counters when turned on

  SequenceClassifierOptions options;
  torch::nn::Linear encoder{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::Linear decoder{nullptr};
};
TORCH_MODULE(SequenceClassifier);

}  // namespace spikessm

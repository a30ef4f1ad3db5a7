#pragma once
// The streaming classifier's one-step path (models/classifier_stream.h uses it for short
// chunks): the encoder, each SpikingSSM block as one fused kernel over its state
// (kernels/cpu/ssm_block_step_cpu.h), the running mean and the decoder, with everything no
// input changes computed once. Binary S4D blocks are not covered (no engine: the chunk path).
#include <torch/torch.h>

#include <memory>

#include "spikessm/models/classifier_stream.h"

namespace spikessm {

class ClassifierStepEngine {
 public:
  // Null when the model is not covered. The model must stay alive and unchanged.
  static std::shared_ptr<ClassifierStepEngine> build(const SequenceClassifierImpl& model);
  virtual ~ClassifierStepEngine() = default;
  // x: (B, T, d_input) in the model's dtype -> running logits (B, n_classes); advances s,
  // which holds ClassifierStream's state (checked by the caller).
  virtual torch::Tensor run(const torch::Tensor& x, ClassifierState& s) = 0;
};

}  // namespace spikessm

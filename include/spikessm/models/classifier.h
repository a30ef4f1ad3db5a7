#pragma once
// The interface every classifier implements (the sequence classifier and the spiking vision
// transformer), so one trainer and one evaluator serve both.
#include <torch/torch.h>

#include <memory>

#include "spikessm/metrics/energy.h"
#include "spikessm/metrics/recorder.h"

namespace spikessm {

class ClassifierImpl : public virtual torch::nn::Module {
 public:
  ~ClassifierImpl() override = default;
  // x: a batch of the task's inputs ((B, L, d), (B, L) ids, (B, 2, L) ids or (B, C, H, W)
  // images) -> logits: (B, n_classes)
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // While on, forward() accumulates spike statistics; turning it on zeroes them.
  virtual void set_collect_stats(bool on) = 0;
  // The recorder every layer reports its spikes and operations to (metrics/recorder.h).
  virtual StatsRecorder& stats() = 0;
  // Operation counts and energy per sample from the statistics gathered since. L: sequence
  // length of the inputs (sequence models; image models ignore it).
  virtual OpsReport ops_report(int64_t L) = 0;
};

using Classifier = std::shared_ptr<ClassifierImpl>;

}  // namespace spikessm

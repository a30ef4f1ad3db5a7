#pragma once
// Pieces shared by the Spikformer layers: its LIF neuron on time-first tensors, and the
// recorder of spike rates and synaptic operations (the vision energy convention, papers.md 5).
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "spikessm/metrics/energy.h"

namespace spikessm {

// Spikformer's neuron (spikingjelly MultiStepLIFNode: tau 2, decay_input, hard reset to 0,
// detach_reset, sigmoid surrogate alpha 4): u' = (1 - 1/tau) u + x / tau, s = H(u' - v_th).
// That is our fused lif_multistep with decay 1 - 1/tau on the input x / tau; the time axis
// (dim 0 here) becomes its L axis and every other element a channel, so no copy is needed.
// x: (T, ...) -> s: (T, ...) in {0, 1}
torch::Tensor spikformer_lif(const torch::Tensor& x, double v_th, double tau = 2.0);

// Spike rates and synaptic-operation counts, gathered while `on`.
//  - synapse(): a layer whose input is spikes (or small spike counts, e.g. residual sums)
//    costs SOP = rate x T x FLOPs ACs, rate = mean input value; the encoding layer (real
//    input) and layers on real-valued state cost MACs.
//  - spikes(): output of a LIF, for the mean spiking rate.
class OpsRecorder {
 public:
  bool on = false;
  void clear();
  // input: the layer's input for `samples` samples over all T steps; macs: dense MACs of the
  // layer for one sample and one step; kind "AC" (spike input) or "MAC". steps: how many times
  // the layer runs per sample (T, or 1 for the encoding conv computed once).
  void synapse(const std::string& name, const torch::Tensor& input, double macs, int64_t samples,
               int64_t steps, const std::string& kind = "AC");
  void spikes(const std::string& name, const torch::Tensor& s);
  OpsReport report() const;

 private:
  struct Entry {
    std::string kind;
    double in_sum = 0, in_count = 0, macs_total = 0, samples = 0;
  };
  std::vector<std::string> order_;  // report rows in first-seen order
  std::map<std::string, Entry> synapses_;
  std::map<std::string, std::pair<double, double>> spikes_;  // name -> (spikes, elements)
};

using OpsRecorderPtr = std::shared_ptr<OpsRecorder>;

}  // namespace spikessm

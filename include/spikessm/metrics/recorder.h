#pragma once
// The one statistics recorder. Every module that spikes or multiplies reports to it from its
// own forward pass (a hook: nothing is recomputed), and everything that reads statistics reads
// it: ops_report() (operation counts and energy, metrics/energy.h), `eval`, `report`, the NIR
// export and the benchmarks. A model owns one and shares it with its blocks.
//  - spikes(): a population of neurons (or the non-zeros of a real activation) and what it
//    emitted; with traces on, also per-neuron counts and the first sequence's raster (and the
//    input current of LIF populations, for membrane plots).
//  - synapse(): a weight layer and its input, for layers whose operation count depends on
//    the input (the vision convention: SOP = input rate x dense MACs).
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spikessm/metrics/energy.h"

namespace spikessm {

// A LIF population's parameters, so that its membrane can be replayed from the input current.
struct LifTrace {
  double tau = 0, v_th = 1;
  bool hard_reset = true;
};

struct SpikeStats {
  double spikes = 0;         // non-zero outputs (spikes)
  double elements = 0;       // neurons x steps x sequences
  torch::Tensor per_neuron;  // (D) float64 counts over everything but the last dim (traces)
  torch::Tensor raster;      // (steps, neurons) the first sequence seen (traces)
  torch::Tensor current;     // (steps, neurons) its input current, LIF populations (traces)
  LifTrace lif;              // valid when current is defined
  double rate() const { return elements > 0 ? spikes / elements : 0.0; }
};

class StatsRecorder {
 public:
  // Zeroes everything and starts recording.
  void start();
  // Whether recordings keep per-neuron counts and the first sequence's raster (a setting that
  // start() keeps: `report` turns it on, then evaluates as usual).
  void set_traces(bool on) { traces_ = on; }
  void stop() { on_ = false; }
  bool on() const { return on_; }

  // s: the population's output with the batch at dim batch_dim and neurons in the last dim,
  // e.g. (B, L, D) or time-first (T, B, N, D) with batch_dim 1. Counts its non-zeros.
  void spikes(const std::string& name, const torch::Tensor& s, int64_t batch_dim = 0);
  // The same for a LIF population, with its input current (same shape as s) and parameters.
  void lif_spikes(const std::string& name, const torch::Tensor& s, const torch::Tensor& current,
                  const LifTrace& lif);
  // input: the layer's input for `samples` samples over all steps; macs: dense MACs of the
  // layer for one sample and one step; steps: how often it runs per sample; kind "AC" (spike
  // input, cost = input rate x MACs) or "MAC".
  void synapse(const std::string& name, const torch::Tensor& input, double macs, int64_t samples,
               int64_t steps, const std::string& kind = "AC");

  // Populations in first-seen order; null when none of that name was recorded.
  const std::vector<std::string>& populations() const { return order_; }
  const SpikeStats* find(const std::string& name) const;
  // Spikes over elements of the named populations (all when empty).
  double mean_rate(const std::vector<std::string>& names = {}) const;
  // The synapse() rows as a report (every layer counted: the vision convention).
  OpsReport synapse_report() const;

 private:
  SpikeStats& population(const std::string& name);
  struct Synapse {
    std::string kind;
    double in_sum = 0, in_count = 0, macs_total = 0, samples = 0;
  };
  bool on_ = false, traces_ = false;
  std::vector<std::string> order_, synapse_order_;
  std::map<std::string, SpikeStats> pops_;
  std::map<std::string, Synapse> synapses_;
};

using StatsRecorderPtr = std::shared_ptr<StatsRecorder>;

// Where a module reports one population: the model's recorder and the population's name.
struct SpikeSink {
  StatsRecorder* recorder = nullptr;
  std::string name;
  void add(const torch::Tensor& s) const {
    if (recorder != nullptr) recorder->spikes(name, s);
  }
};

}  // namespace spikessm

#include "spikessm/metrics/recorder.h"

namespace spikessm {

void StatsRecorder::start() {
  order_.clear();
  synapse_order_.clear();
  pops_.clear();
  synapses_.clear();
  on_ = true;
}

SpikeStats& StatsRecorder::population(const std::string& name) {
  auto it = pops_.find(name);
  if (it == pops_.end()) {
    order_.push_back(name);
    it = pops_.emplace(name, SpikeStats{}).first;
  }
  return it->second;
}

namespace {
// The first sequence of s as (steps, neurons): batch index 0, then the next dim is time.
torch::Tensor first_sequence(const torch::Tensor& s, int64_t batch_dim) {
  auto one = s.select(batch_dim, 0);
  return one.reshape({one.size(0), -1}).to(torch::kFloat).clone();
}
}  // namespace

void StatsRecorder::spikes(const std::string& name, const torch::Tensor& s, int64_t batch_dim) {
  if (!on_) return;
  torch::NoGradGuard no_grad;
  SpikeStats& p = population(name);
  p.spikes += double(s.ne(0).sum().item<int64_t>());  // an exact count, whatever the dtype
  p.elements += double(s.numel());
  if (!traces_) return;
  auto counts = s.ne(0).reshape({-1, s.size(-1)}).sum(0).to(torch::kDouble);  // (D)
  p.per_neuron = p.per_neuron.defined() ? p.per_neuron + counts : counts;
  if (!p.raster.defined()) p.raster = first_sequence(s, batch_dim);
}

void StatsRecorder::lif_spikes(const std::string& name, const torch::Tensor& s,
                               const torch::Tensor& current, const LifTrace& lif) {
  if (!on_) return;
  spikes(name, s);
  SpikeStats& p = population(name);
  if (!traces_ || p.current.defined()) return;  // the first sequence's, as its raster
  torch::NoGradGuard no_grad;
  p.current = first_sequence(current, 0);
  p.lif = lif;
}

void StatsRecorder::synapse(const std::string& name, const torch::Tensor& input, double macs,
                            int64_t samples, int64_t steps, const std::string& kind) {
  if (!on_) return;
  auto it = synapses_.find(name);
  if (it == synapses_.end()) {
    synapse_order_.push_back(name);
    it = synapses_.emplace(name, Synapse{kind}).first;
  }
  Synapse& e = it->second;
  torch::NoGradGuard no_grad;
  e.in_sum += input.sum().item<double>();
  e.in_count += double(input.numel());
  e.macs_total += macs * double(steps) * double(samples);
  e.samples += double(samples);
}

const SpikeStats* StatsRecorder::find(const std::string& name) const {
  auto it = pops_.find(name);
  return it == pops_.end() ? nullptr : &it->second;
}

double StatsRecorder::mean_rate(const std::vector<std::string>& names) const {
  double spikes = 0, elements = 0;
  for (const auto& name : names.empty() ? order_ : names)
    if (const SpikeStats* p = find(name)) {
      spikes += p->spikes;
      elements += p->elements;
    }
  return elements > 0 ? spikes / elements : 0.0;
}

OpsReport StatsRecorder::synapse_report() const {
  OpsReport r;
  for (const auto& name : synapse_order_) {
    const Synapse& e = synapses_.at(name);
    LayerOps l;
    l.name = name;
    l.kind = e.kind;
    l.dense_macs = e.samples > 0 ? e.macs_total / e.samples : 0.0;  // T x FLOPs per sample
    if (e.kind == "AC") {
      l.firing_rate = e.in_count > 0 ? e.in_sum / e.in_count : 0.0;
      l.ops = l.firing_rate * l.dense_macs;  // SOP = fr x T x FLOPs
    } else {
      l.ops = l.dense_macs;
    }
    l.counted_by_paper = true;  // the vision convention counts every layer
    r.layers.push_back(l);
  }
  r.mean_rate = mean_rate();
  return r;
}

}  // namespace spikessm

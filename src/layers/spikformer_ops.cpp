#include "spikessm/layers/spikformer_ops.h"

#include "spikessm/neurons/lif.h"

namespace spikessm {

// x: (T, ...) -> s: (T, ...)
torch::Tensor spikformer_lif(const torch::Tensor& x, double v_th, double tau) {
  TORCH_CHECK(x.dim() >= 2, "[spikformer_lif] x must be (T, ...), got ", x.sizes());
  TORCH_CHECK(tau > 1.0, "[spikformer_lif] tau must exceed 1 (decay 1 - 1/tau), got ", tau);
  LifOptions o;
  o.tau = float(1.0 - 1.0 / tau);
  o.v_th = float(v_th);
  o.reset = ResetMode::Hard;
  o.grad = GradMode::BPTT;
  o.detach_reset = true;
  o.surrogate = Surrogate::Sigmoid;
  o.alpha = 4.0f;
  const int64_t T = x.size(0);
  // (T, M) time-major is exactly (B = 1, L = T, D = M)
  auto s = lif_multistep((x * (1.0 / tau)).reshape({1, T, -1}), o);
  return s.view(x.sizes());
}

void OpsRecorder::clear() {
  order_.clear();
  synapses_.clear();
  spikes_.clear();
}

void OpsRecorder::synapse(const std::string& name, const torch::Tensor& input, double macs, int64_t samples,
                          int64_t steps, const std::string& kind) {
  if (!on) return;
  auto it = synapses_.find(name);
  if (it == synapses_.end()) {
    order_.push_back(name);
    it = synapses_.emplace(name, Entry{kind}).first;
  }
  Entry& e = it->second;
  torch::NoGradGuard no_grad;
  e.in_sum += input.sum().item<double>();
  e.in_count += double(input.numel());
  e.macs_total += macs * double(steps) * double(samples);
  e.samples += double(samples);
}

void OpsRecorder::spikes(const std::string& name, const torch::Tensor& s) {
  if (!on) return;
  torch::NoGradGuard no_grad;
  auto& p = spikes_[name];
  p.first += s.sum().item<double>();
  p.second += double(s.numel());
}

OpsReport OpsRecorder::report() const {
  OpsReport r;
  for (const auto& name : order_) {
    const Entry& e = synapses_.at(name);
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
  double spikes = 0, elements = 0;
  for (const auto& [name, p] : spikes_) {
    spikes += p.first;
    elements += p.second;
  }
  r.mean_rate = elements > 0 ? spikes / elements : 0.0;
  return r;
}

}  // namespace spikessm

#include "spikessm/layers/gsu.h"

#include "spikessm/neurons/ternary.h"

namespace spikessm {

GSUImpl::GSUImpl(const GSUOptions& options_) : options(options_) { reset(); }

void GSUImpl::reset() {
  const int64_t H = options.d_model();
  route_a = register_module("route_a", torch::nn::Linear(H, H));
  route_b = register_module("route_b", torch::nn::Linear(H, H));
  log_scale_w = register_parameter("log_scale_w", torch::zeros({}));
  log_scale_y = register_parameter("log_scale_y", torch::zeros({}));
}

torch::Tensor GSUImpl::forward(const torch::Tensor& y) {
  // PRF thresholds at 0.15 max|x| over the whole tensor, for the weights and the activations.
  TernaryOptions t;
  t.scope = TernaryScope::Tensor;
  t.ratio = options.threshold_ratio();
  t.surrogate = options.surrogate();
  t.surrogate_alpha = float(options.alpha());
  auto wa = ternary_spike(route_a->weight, torch::exp(log_scale_w), t);  // (H, H)
  auto ty = ternary_spike(y, torch::exp(log_scale_y), t);                // (B, L, H)
  if (recorder && recorder->on()) recorder->spikes(stats_name, ty);
  auto n = torch::nn::functional::linear(y, wa, route_a->bias);
  auto m = route_b(ty);
  auto out = n * m;
  return options.gelu() ? torch::gelu(out) : out;
}

double GSUImpl::weight_density() const {
  torch::NoGradGuard guard;
  auto w = route_a->weight;
  auto th = options.threshold_ratio() * w.abs().max();
  return w.abs().gt(th).to(torch::kDouble).mean().item<double>();
}

}  // namespace spikessm

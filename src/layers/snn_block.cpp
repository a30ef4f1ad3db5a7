// NeuronSpark SNNBlock (papers.md 3.2) and its structured initialisation (App. A).
#include "spikessm/layers/snn_block.h"

#include <cmath>

#include "spikessm/neurons/selective_plif.h"
#include "spikessm/ssm/selective_scan.h"

namespace spikessm {
namespace {

// PyTorch's default Linear init (kaiming_uniform, a = sqrt(5)): U(-1/sqrt(in), 1/sqrt(in)).
torch::Tensor linear_init(int64_t out, int64_t in) {
  return (torch::rand({out, in}) * 2 - 1) / std::sqrt(static_cast<double>(in));
}

}  // namespace

void SnnBlockImpl::reset() {
  const int64_t D = options.d_model(), N = options.n_state(), DN = D * N;
  torch::NoGradGuard no_grad;
  // Time scales beta_n in [0.80, 0.99]; target firing rates from 0.25 down to 0.08.
  const auto beta_n = torch::linspace(0.80, 0.99, N, torch::kDouble);
  const auto p_fire = torch::linspace(0.25, 0.08, N, torch::kDouble);
  auto per_neuron = [&](const torch::Tensor& per_n) {  // (N) -> (D N), j = d N + n
    return per_n.repeat({D}).to(torch::kFloat);
  };

  auto w_in0 = linear_init(DN, D) * per_neuron(torch::sqrt(1 - beta_n * beta_n)).unsqueeze(1);
  w_in = register_parameter("w_in", w_in0);
  w_beta = register_parameter("w_beta", linear_init(DN, D) * 0.1);
  w_alpha = register_parameter("w_alpha", linear_init(DN, D) * 0.1);
  w_th = register_parameter("w_th", linear_init(DN, D) * 0.1);
  w_gate = register_parameter("w_gate", linear_init(D, D));
  w_skip = register_parameter("w_skip", linear_init(D, D));
  // W_out columns scaled by 1/sqrt(p_fire_n), normalised to mean 1 (rarer firing, louder).
  auto out_scale = 1 / torch::sqrt(p_fire);
  out_scale = out_scale / out_scale.mean();
  w_out = register_parameter("w_out", linear_init(D, DN) * per_neuron(out_scale).unsqueeze(0));

  b_beta = register_parameter(
      "b_beta", per_neuron(torch::log(beta_n / (1 - beta_n))) + torch::randn({DN}) * 0.1);
  b_alpha = register_parameter("b_alpha", torch::randn({DN}) * 0.1 + 0.5413);  // softplus ~ 1
  // V_th,n = sigma_V(beta_n) Phi^-1(1 - p_fire,n), sigma_V = sqrt(p/3) sqrt(1 - beta^(2 K_ref));
  // b_th puts V_min + |b_th| there (at least 0.05 above V_min).
  const double p = options.p_assumed();
  const auto sigma_v =
      std::sqrt(p / 3.0) * torch::sqrt(1 - torch::pow(beta_n, 2.0 * options.k_ref()));
  const auto z = std::sqrt(2.0) * torch::erfinv(2 * (1 - p_fire) - 1);
  const auto b_th_n = torch::clamp(sigma_v * z - options.v_min(), 0.05);
  b_th = register_parameter("b_th", per_neuron(b_th_n) + torch::randn({DN}) * 0.02);
}

// leak: (B, T, D), v0: (B, D N) -> (B, T, D)
torch::Tensor SnnBlockImpl::forward(const torch::Tensor& leak, const torch::Tensor& v0,
                                    torch::Tensor* v_last, const SpikeSink* tally) {
  const int64_t D = options.d_model(), DN = D * options.n_state();
  // The six input projections as one matmul: (B, T, D) x (D, 4 D N + 2 D).
  const auto w = torch::cat({w_in, w_beta, w_alpha, w_th, w_gate, w_skip}, 0);
  const auto z = torch::matmul(leak, w.t());
  const auto parts = z.split_with_sizes({DN, DN, DN, DN, D, D}, 2);
  const auto beta = torch::sigmoid(parts[1] + b_beta);
  const auto gain = torch::softplus(parts[2] + b_alpha);
  torch::Tensor v;  // (B, T, D N)
  if (options.spiking()) {
    const auto v_th = options.v_min() + torch::abs(parts[3] + b_th);
    SelectivePlifOptions opt;  // sigmoid surrogate, reset not detached (as NeuronSpark)
    opt.surrogate_alpha = static_cast<float>(options.surrogate_alpha());
    auto out = selective_plif(parts[0], beta, gain, v_th, opt, v0);
    if (tally != nullptr) tally->add(out.s);
    v = out.v;
  } else {
    v = selective_scan(gain * parts[0], beta, v0);
  }
  if (v_last != nullptr) *v_last = v.select(1, v.size(1) - 1).detach();
  return torch::matmul(v, w_out.t()) * torch::sigmoid(parts[4]) + parts[5];
}

void SnnBlockImpl::compensate_gradients(double c_max) {
  torch::NoGradGuard no_grad;
  if (b_beta.grad().defined()) {
    const auto beta = torch::sigmoid(b_beta);
    b_beta.mutable_grad().div_(torch::clamp_min(beta * (1 - beta), 1.0 / c_max));
  }
  if (b_alpha.grad().defined())
    b_alpha.mutable_grad().div_(torch::clamp_min(torch::sigmoid(b_alpha), 0.1));
}

}  // namespace spikessm

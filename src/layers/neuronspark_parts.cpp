// RMSNorm, PLIF node, PonderNet aggregation of NeuronSpark (papers.md 3.1, 3.4).
#include "spikessm/layers/neuronspark_parts.h"

#include <cmath>

#include "spikessm/neurons/plif.h"
#include "spikessm/ssm/selective_scan.h"

namespace spikessm {

// x: (..., D) -> (..., D)
torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).mean(-1, true) + eps_) * weight;
}

void PlifNodeImpl::reset() {
  const int64_t D = options.dim();
  const double tau0 = options.init_tau(), v0 = options.v_threshold();
  const double mean_w = std::log((1.0 - 1.0 / tau0) / (1.0 / tau0));  // logit(1 - 1/tau0)
  w = register_parameter("w", torch::randn({D}) * 0.5 + mean_w);
  v_th = register_parameter("v_th", torch::rand({D}) * v0 + 0.5 * v0);  // U(0.5 v0, 1.5 v0)
}

// x: (B, T, D), v0: (B, D) -> leak (B, T, D)
torch::Tensor PlifNodeImpl::forward(const torch::Tensor& x, const torch::Tensor& v0,
                                    torch::Tensor* v_last, const SpikeSink* tally) {
  const auto wx = w.to(x.scalar_type());
  const auto beta = torch::sigmoid(wx);
  torch::Tensor v;
  if (options.spiking()) {
    PlifOptions opt;  // soft reset, decay_input, sigmoid surrogate: NeuronSpark's PLIFNode
    opt.surrogate_alpha = static_cast<float>(options.surrogate_alpha());
    auto out = plif_multistep(x, wx, v_th.to(x.scalar_type()), opt, v0);
    if (tally != nullptr) tally->add(out.s);
    v = out.v;
  } else {
    v = selective_scan((1 - beta) * x, beta, v0);
  }
  if (v_last != nullptr) *v_last = v.select(1, v.size(1) - 1).detach();
  return (1 - beta) * v;
}

// frames: (B, L K, D) -> out (B, L, D), expected_frames (B, L)
PonderOutput ponder_aggregate(const torch::Tensor& frames, int64_t K, const torch::Tensor& w,
                              const torch::Tensor& b) {
  const int64_t B = frames.size(0), L = frames.size(1) / K, D = frames.size(2);
  const auto f = frames.view({B, L, K, D});
  const auto z = torch::matmul(f, w) + b;  // (B, L, K) halting logits
  // log p = -softplus(-z), log(1 - p) = -softplus(z); exclusive cumsum gives log S_k.
  const auto log1mp = -torch::softplus(z);
  const auto log_lambda = -torch::softplus(-z) + (torch::cumsum(log1mp, 2) - log1mp);
  const auto lam = torch::softmax(log_lambda, 2);  // (B, L, K), sums to 1 over k
  PonderOutput o;
  o.out = torch::matmul(lam.unsqueeze(2), f).squeeze(2);  // (B, L, 1, K) x (B, L, K, D)
  const auto k = torch::arange(1, K + 1, frames.options());
  o.expected_frames = (lam * k).sum(2);
  return o;
}

// x: (B, L, D) -> (B, L K, D)
torch::Tensor repeat_frames(const torch::Tensor& x, int64_t K) {
  return x.unsqueeze(2)
      .expand({x.size(0), x.size(1), K, x.size(2)})
      .reshape({x.size(0), x.size(1) * K, x.size(2)});
}

}  // namespace spikessm

#include "spikessm/layers/spike_ops.h"

#include <cmath>

namespace spikessm {

torch::Tensor surrogate_grad_tensor(const torch::Tensor& x, Surrogate kind, double alpha) {
  switch (kind) {
    case Surrogate::Triangle: return (1.0 - x.abs()).clamp_min(0.0);
    case Surrogate::Sigmoid: {
      auto s = torch::sigmoid(alpha * x);
      return alpha * s * (1.0 - s);
    }
    case Surrogate::Atan: {
      auto z = (M_PI / 2.0 * alpha) * x;
      return (alpha / 2.0) / (1.0 + z * z);
    }
  }
  return torch::zeros_like(x);
}

namespace {

struct HeavisideFn : torch::autograd::Function<HeavisideFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               int64_t kind, double alpha) {
    ctx->save_for_backward({x});
    ctx->saved_data["kind"] = kind;
    ctx->saved_data["alpha"] = alpha;
    return x.ge(0).to(x.scalar_type());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list g) {
    auto x = ctx->get_saved_variables()[0];
    auto kind = Surrogate(ctx->saved_data["kind"].toInt());
    const double alpha = ctx->saved_data["alpha"].toDouble();
    return {g[0] * surrogate_grad_tensor(x, kind, alpha), torch::Tensor(), torch::Tensor()};
  }
};

struct TernaryFn : torch::autograd::Function<TernaryFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& scale, double ratio, int64_t kind,
                               double alpha) {
    auto th = ratio * x.abs().max();  // 0-dim, constant for backward
    auto t = x.gt(th).to(x.scalar_type()) - x.lt(-th).to(x.scalar_type());
    ctx->save_for_backward({x, scale, th, t});
    ctx->saved_data["kind"] = kind;
    ctx->saved_data["alpha"] = alpha;
    return t * scale;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list g) {
    auto saved = ctx->get_saved_variables();
    auto &x = saved[0], &scale = saved[1], &th = saved[2], &t = saved[3];
    auto kind = Surrogate(ctx->saved_data["kind"].toInt());
    const double alpha = ctx->saved_data["alpha"].toDouble();
    auto sg = surrogate_grad_tensor(x - th, kind, alpha) + surrogate_grad_tensor(-x - th, kind, alpha);
    auto dx = g[0] * sg * scale;
    auto dscale = (g[0] * t).sum().reshape(scale.sizes());
    return {dx, dscale, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor heaviside_spike(const torch::Tensor& x, Surrogate kind, double alpha) {
  TORCH_CHECK(x.is_floating_point(), "[heaviside_spike] x must be floating point");
  return HeavisideFn::apply(x, int64_t(kind), alpha);
}

torch::Tensor ternarize(const torch::Tensor& x, const torch::Tensor& scale, double ratio,
                        Surrogate kind, double alpha) {
  TORCH_CHECK(x.is_floating_point(), "[ternarize] x must be floating point");
  TORCH_CHECK(scale.numel() == 1, "[ternarize] scale must hold one value, got ", scale.numel());
  TORCH_CHECK(ratio >= 0 && ratio < 1, "[ternarize] ratio must be in [0, 1), got ", ratio);
  return TernaryFn::apply(x, scale, ratio, int64_t(kind), alpha);
}

}  // namespace spikessm

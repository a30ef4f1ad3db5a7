// Public ternary spike / quantiser (GSU): input checks and the autograd Function.
#include "spikessm/neurons/ternary.h"

#include <cmath>

#include "../kernels/cpu/spike_cpu.h"

namespace spikessm {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// x: (R, D) contiguous -> q: (R, D), th: (R)
std::pair<torch::Tensor, torch::Tensor> run_forward(const torch::Tensor& x2, double scale,
                                                    const TernaryOptions& opt) {
  auto q = torch::empty_like(x2);
  auto th = torch::empty({x2.size(0)}, x2.options());
  AT_DISPATCH_FLOATING_TYPES(x2.scalar_type(), "ternary_forward_cpu", [&] {
    kernels::TernaryParams<scalar_t> p;
    p.R = x2.size(0), p.D = x2.size(1);
    p.x = x2.data_ptr<scalar_t>(), p.th = th.data_ptr<scalar_t>(), p.q = q.data_ptr<scalar_t>();
    p.scale = static_cast<scalar_t>(scale);
    p.ratio = opt.ratio;
    p.per_row = opt.scope == TernaryScope::Row;
    kernels::ternary_forward_cpu(p);
  });
  return {q, th};
}

// Saves x and the per-row thresholds: the quantised values are recomputed in backward.
struct TernaryFunction : torch::autograd::Function<TernaryFunction> {
  // x2: (R, D) contiguous, scale: one element -> q: (R, D)
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x2,
                               const torch::Tensor& scale, const TernaryOptions& opt) {
    auto [q, th] = run_forward(x2, scale.item<double>(), opt);
    ctx->save_for_backward({x2, th, scale});
    ctx->saved_data["surrogate"] = static_cast<int64_t>(opt.surrogate);
    ctx->saved_data["surrogate_alpha"] = static_cast<double>(opt.surrogate_alpha);
    return q;
  }
  // grad: dL/dq (R, D) -> dx (R, D), dscale (scale's shape)
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto &x2 = saved[0], &th = saved[1], &scale = saved[2];
    const auto g = grad[0].to(x2.scalar_type()).contiguous();
    auto dx = torch::empty_like(x2);
    auto dscale_rows = torch::empty({x2.size(0)}, x2.options());
    AT_DISPATCH_FLOATING_TYPES(x2.scalar_type(), "ternary_backward_cpu", [&] {
      kernels::TernaryParams<scalar_t> p;
      p.R = x2.size(0), p.D = x2.size(1);
      p.x = x2.data_ptr<scalar_t>(), p.th = th.data_ptr<scalar_t>();
      p.grad_q = g.data_ptr<scalar_t>(), p.dx = dx.data_ptr<scalar_t>();
      p.dscale_rows = dscale_rows.data_ptr<scalar_t>();
      p.scale = scale.item<scalar_t>();
      p.surrogate = static_cast<Surrogate>(ctx->saved_data["surrogate"].toInt());
      p.surrogate_alpha = ctx->saved_data["surrogate_alpha"].toDouble();
      kernels::ternary_backward_cpu(p);
    });
    return {dx, dscale_rows.sum().reshape(scale.sizes()), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor ternary_spike(const torch::Tensor& x, const torch::Tensor& scale,
                            const TernaryOptions& opt) {
  TORCH_CHECK(x.defined() && scale.defined(), "[ternary_spike] x and scale must be defined");
  TORCH_CHECK(x.dim() >= 1, "[ternary_spike] expected x of shape (..., D), got a scalar");
  TORCH_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble,
              "[ternary_spike] expected float32 or float64 x, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu() && scale.device().is_cpu(),
              "[ternary_spike] expected CPU tensors");
  TORCH_CHECK(scale.numel() == 1 && scale.scalar_type() == x.scalar_type(),
              "[ternary_spike] expected a one-element ", x.scalar_type(), " scale, got ",
              scale.sizes(), " ", scale.scalar_type());
  TORCH_CHECK(opt.ratio >= 0 && std::isfinite(opt.ratio),
              "[ternary_spike] ratio must be finite and >= 0, got ", opt.ratio);
  TORCH_CHECK(opt.surrogate_alpha > 0 && std::isfinite(opt.surrogate_alpha),
              "[ternary_spike] surrogate_alpha must be positive and finite, got ",
              opt.surrogate_alpha);
  const int64_t D = x.size(-1);
  const auto x2 = x.contiguous().view({D == 0 ? 0 : x.numel() / D, D});
  const bool grad = torch::GradMode::is_enabled() && (x.requires_grad() || scale.requires_grad());
  auto q = grad ? TernaryFunction::apply(x2, scale, opt)
                : run_forward(x2, scale.item<double>(), opt).first;
  return q.view(x.sizes());
}

}  // namespace spikessm

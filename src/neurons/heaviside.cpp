// Public stateless Heaviside spike (Binary S4D): input checks and the autograd Function.
#include "spikessm/neurons/heaviside.h"

#include <cmath>

#include "../kernels/cpu/spike_cpu.h"

namespace spikessm {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// x: contiguous -> s = H(x - v_th): same shape
torch::Tensor run_forward(const torch::Tensor& x, const HeavisideOptions& opt) {
  auto s = torch::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "heaviside_forward_cpu", [&] {
    kernels::HeavisideParams<scalar_t> p;
    p.n = x.numel(), p.x = x.data_ptr<scalar_t>(), p.s = s.data_ptr<scalar_t>();
    p.v_th = opt.v_th;
    kernels::heaviside_forward_cpu(p);
  });
  return s;
}

struct HeavisideFunction : torch::autograd::Function<HeavisideFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const HeavisideOptions& opt) {
    ctx->save_for_backward({x});
    ctx->saved_data["v_th"] = opt.v_th;
    ctx->saved_data["surrogate"] = static_cast<int64_t>(opt.surrogate);
    ctx->saved_data["surrogate_alpha"] = static_cast<double>(opt.surrogate_alpha);
    return run_forward(x, opt);
  }
  // grad: dL/ds -> dx, same shape
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto x = ctx->get_saved_variables()[0];
    const auto g = grad[0].to(x.scalar_type()).contiguous();
    auto dx = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "heaviside_backward_cpu", [&] {
      kernels::HeavisideParams<scalar_t> p;
      p.n = x.numel(), p.x = x.data_ptr<scalar_t>();
      p.grad_s = g.data_ptr<scalar_t>(), p.dx = dx.data_ptr<scalar_t>();
      p.v_th = ctx->saved_data["v_th"].toDouble();
      p.surrogate = static_cast<Surrogate>(ctx->saved_data["surrogate"].toInt());
      p.surrogate_alpha = ctx->saved_data["surrogate_alpha"].toDouble();
      kernels::heaviside_backward_cpu(p);
    });
    return {dx, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor heaviside_spike(const torch::Tensor& x, const HeavisideOptions& opt) {
  TORCH_CHECK(x.defined(), "[heaviside_spike] x is undefined");
  TORCH_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble,
              "[heaviside_spike] expected float32 or float64 x, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu(), "[heaviside_spike] expected a CPU tensor, got ", x.device());
  TORCH_CHECK(std::isfinite(opt.v_th), "[heaviside_spike] v_th must be finite, got ", opt.v_th);
  TORCH_CHECK(opt.surrogate_alpha > 0 && std::isfinite(opt.surrogate_alpha),
              "[heaviside_spike] surrogate_alpha must be positive and finite, got ",
              opt.surrogate_alpha);
  const auto xc = x.contiguous();
  if (torch::GradMode::is_enabled() && x.requires_grad()) return HeavisideFunction::apply(xc, opt);
  return run_forward(xc, opt);
}

}  // namespace spikessm

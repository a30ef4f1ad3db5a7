// Public selective linear scan: input checks and the autograd Function around the fused
// kernels (src/kernels/cpu/selective_scan_cpu.cpp).
#include "spikessm/ssm/selective_scan.h"

#include "../kernels/cpu/selective_scan_cpu.h"

namespace spikessm {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Saves u's shape, beta, h0 and h; u itself is not needed by the backward.
struct SelectiveScanFunction : torch::autograd::Function<SelectiveScanFunction> {
  // u: (B, L, D), beta: (B, L, D) or (D), h0: (B, D) or (0) -> h: (B, L, D), contiguous
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& u,
                               const torch::Tensor& beta, const torch::Tensor& h0) {
    auto h = torch::empty_like(u);
    const bool has_h0 = h0.dim() == 2;
    AT_DISPATCH_FLOATING_TYPES(u.scalar_type(), "selective_scan_forward_cpu", [&] {
      kernels::SelectiveScanParams<scalar_t> p;
      p.B = u.size(0), p.L = u.size(1), p.D = u.size(2);
      p.beta_per_channel = beta.dim() == 1;
      p.u = u.data_ptr<scalar_t>(), p.beta = beta.data_ptr<scalar_t>();
      p.h0 = has_h0 ? h0.data_ptr<scalar_t>() : nullptr;
      p.h = h.data_ptr<scalar_t>();
      kernels::selective_scan_forward_cpu(p);
    });
    ctx->save_for_backward({beta, h0, h});
    return h;
  }

  // grad: [dL/dh] (B, L, D) -> [du (B, L, D), dbeta like beta, dh0 (B, D) or undefined]
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto &beta = saved[0], &h0 = saved[1], &h = saved[2];
    const auto gh = grad[0].to(h.scalar_type()).contiguous();
    const bool has_h0 = h0.dim() == 2;
    auto du = torch::empty_like(h), dbeta = torch::empty_like(h);
    torch::Tensor dh0 = has_h0 ? torch::empty_like(h0) : torch::Tensor();
    AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "selective_scan_backward_cpu", [&] {
      kernels::SelectiveScanParams<scalar_t> p;
      p.B = h.size(0), p.L = h.size(1), p.D = h.size(2);
      p.beta_per_channel = beta.dim() == 1;
      p.beta = beta.data_ptr<scalar_t>();
      p.h0 = has_h0 ? h0.data_ptr<scalar_t>() : nullptr;
      p.h = h.data_ptr<scalar_t>(), p.gh = gh.data_ptr<scalar_t>();
      p.du = du.data_ptr<scalar_t>(), p.dbeta = dbeta.data_ptr<scalar_t>();
      p.dh0 = has_h0 ? dh0.data_ptr<scalar_t>() : nullptr;
      kernels::selective_scan_backward_cpu(p);
    });
    if (beta.dim() == 1) dbeta = dbeta.sum(std::vector<int64_t>{0, 1});
    return {du, dbeta, dh0};
  }
};

void check_inputs(const torch::Tensor& u, const torch::Tensor& beta, const torch::Tensor& h0) {
  TORCH_CHECK(u.defined() && u.dim() == 3, "[selective_scan] expected u of shape (B, L, D)");
  TORCH_CHECK(u.scalar_type() == torch::kFloat || u.scalar_type() == torch::kDouble,
              "[selective_scan] expected float32 or float64 u, got ", u.scalar_type());
  TORCH_CHECK(u.device().is_cpu(), "[selective_scan] expected a CPU tensor u, got ", u.device());
  TORCH_CHECK(beta.defined() && beta.scalar_type() == u.scalar_type() && beta.device().is_cpu(),
              "[selective_scan] beta must be a CPU tensor of u's dtype ", u.scalar_type());
  TORCH_CHECK(beta.sizes() == u.sizes() || (beta.dim() == 1 && beta.size(0) == u.size(2)),
              "[selective_scan] expected beta of shape ", u.sizes(), " or (", u.size(2), "), got ",
              beta.sizes());
  if (h0.defined())
    TORCH_CHECK(h0.dim() == 2 && h0.size(0) == u.size(0) && h0.size(1) == u.size(2) &&
                    h0.scalar_type() == u.scalar_type() && h0.device().is_cpu(),
                "[selective_scan] expected h0 of shape (B, D) = (", u.size(0), ", ", u.size(2),
                ") ", u.scalar_type(), ", got ", h0.sizes(), " ", h0.scalar_type());
}

}  // namespace

torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& beta,
                             const torch::Tensor& h0) {
  check_inputs(u, beta, h0);
  // Function::apply cannot take an undefined tensor: "no h0" travels as a (0) tensor.
  return SelectiveScanFunction::apply(
      u.contiguous(), beta.contiguous(),
      h0.defined() ? h0.contiguous() : torch::empty({0}, u.options()));
}

}  // namespace spikessm

// Public multi-step LIF: input checks, the autograd Function around the fused kernels, and
// the string names of the neuron's options.
#include "spikessm/neurons/lif.h"

#include <cmath>

#include "../kernels/cpu/lif_cpu.h"
#include "spikessm/common/error.h"

namespace spikessm {

// ---- names --------------------------------------------------------------------------------

// ---- op -----------------------------------------------------------------------------------

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

kernels::LifKernelOptions kernel_options(const LifOptions& o) {
  kernels::LifKernelOptions k;
  k.tau = o.tau;
  k.v_th = o.v_th;
  k.alpha = o.alpha;
  k.surrogate = o.surrogate;
  k.hard_reset = o.reset == ResetMode::Hard;
  k.bptt = o.grad == GradMode::BPTT;
  k.detach_reset = o.detach_reset;
  return k;
}

// x: (B, L, D) contiguous -> s: (B, L, D); also writes u': (B, L, D) when u_pre is defined,
// and carries the membrane v: (B, D) in and out when it is defined (streaming).
torch::Tensor run_forward(const torch::Tensor& x, const LifOptions& opt, const torch::Tensor& u_pre,
                          const torch::Tensor& v = torch::Tensor()) {
  auto s = torch::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lif_forward_cpu", [&] {
    kernels::LifForwardParams<scalar_t> p;
    p.B = x.size(0), p.L = x.size(1), p.D = x.size(2);
    p.x = x.data_ptr<scalar_t>();
    p.s = s.data_ptr<scalar_t>();
    p.u_pre = u_pre.defined() ? u_pre.data_ptr<scalar_t>() : nullptr;
    p.v = v.defined() ? v.data_ptr<scalar_t>() : nullptr;
    p.opt = kernel_options(opt);
    kernels::lif_forward_cpu(p);
  });
  return s;
}

// Saves only u' (B, L, D): spikes and surrogate slopes are re-derived from it in backward.
struct LifFunction : torch::autograd::Function<LifFunction> {
  // x: (B, L, D) contiguous -> s: (B, L, D)
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const LifOptions& opt) {
    auto u_pre = torch::empty_like(x);
    auto s = run_forward(x, opt, u_pre);
    ctx->save_for_backward({u_pre});
    auto& d = ctx->saved_data;
    d["tau"] = static_cast<double>(opt.tau);
    d["v_th"] = static_cast<double>(opt.v_th);
    d["alpha"] = static_cast<double>(opt.alpha);
    d["surrogate"] = static_cast<int64_t>(opt.surrogate);
    d["reset"] = static_cast<int64_t>(opt.reset);
    d["grad"] = static_cast<int64_t>(opt.grad);
    d["detach_reset"] = opt.detach_reset;
    return s;
  }

  // grad: (B, L, D) dL/ds -> dx: (B, L, D)
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto u_pre = ctx->get_saved_variables()[0];
    auto& d = ctx->saved_data;
    LifOptions opt;
    opt.tau = static_cast<float>(d["tau"].toDouble());
    opt.v_th = static_cast<float>(d["v_th"].toDouble());
    opt.alpha = static_cast<float>(d["alpha"].toDouble());
    opt.surrogate = static_cast<Surrogate>(d["surrogate"].toInt());
    opt.reset = static_cast<ResetMode>(d["reset"].toInt());
    opt.grad = static_cast<GradMode>(d["grad"].toInt());
    opt.detach_reset = d["detach_reset"].toBool();
    // A sum() upstream hands us an expanded (stride 0) gradient; the kernel wants contiguous.
    const auto g = grad[0].to(u_pre.scalar_type()).contiguous();
    auto dx = torch::empty_like(u_pre);
    AT_DISPATCH_FLOATING_TYPES(u_pre.scalar_type(), "lif_backward_cpu", [&] {
      kernels::LifBackwardParams<scalar_t> p;
      p.B = u_pre.size(0), p.L = u_pre.size(1), p.D = u_pre.size(2);
      p.grad_s = g.data_ptr<scalar_t>();
      p.u_pre = u_pre.data_ptr<scalar_t>();
      p.dx = dx.data_ptr<scalar_t>();
      p.opt = kernel_options(opt);
      kernels::lif_backward_cpu(p);
    });
    return {dx, torch::Tensor()};
  }
};

}  // namespace

// x: (B, L, D) -> s: (B, L, D)
torch::Tensor lif_multistep(const torch::Tensor& x, const LifOptions& opt) {
  TORCH_CHECK(x.defined(), "[lif_multistep] x is undefined");
  TORCH_CHECK(x.dim() == 3, "[lif_multistep] expected x of shape (B, L, D), got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble,
              "[lif_multistep] expected float32 or float64 x, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu(), "[lif_multistep] expected a CPU tensor, got ", x.device());
  TORCH_CHECK(std::isfinite(opt.tau) && std::isfinite(opt.v_th),
              "[lif_multistep] tau and v_th must be finite, got tau=", opt.tau, " v_th=", opt.v_th);
  TORCH_CHECK(opt.alpha > 0 && std::isfinite(opt.alpha),
              "[lif_multistep] alpha must be positive and finite, got ", opt.alpha);
  const auto xc = x.contiguous();
  if (torch::GradMode::is_enabled() && x.requires_grad()) return LifFunction::apply(xc, opt);
  return run_forward(xc, opt, torch::Tensor());  // inference: u' is not kept
}

// x: (B, L, D), v: (B, D) -> s: (B, L, D); v advanced by L steps.
torch::Tensor lif_stream(const torch::Tensor& x, const LifOptions& opt, torch::Tensor& v) {
  TORCH_CHECK(x.dim() == 3 &&
                  (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble) &&
                  x.device().is_cpu(),
              "[lif_stream] expected a CPU float32/float64 x of shape (B, L, D), got ", x.sizes());
  TORCH_CHECK(v.defined() && v.dim() == 2 && v.size(0) == x.size(0) && v.size(1) == x.size(2) &&
                  v.scalar_type() == x.scalar_type() && v.is_contiguous(),
              "[lif_stream] v must be a contiguous (B, D) = (", x.size(0), ", ", x.size(2),
              ") tensor of x's dtype");
  return run_forward(x.contiguous(), opt, torch::Tensor(), v);
}

}  // namespace spikessm

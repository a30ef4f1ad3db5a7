// Public parametric LIF: input checks and the autograd Function around the fused kernels.
#include "spikessm/neurons/plif.h"

#include <cmath>

#include "../kernels/cpu/plif_cpu.h"
#include "stateful_op_util.h"

namespace spikessm {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using detail::ptr_or_null;
using detail::v0_or_none;

kernels::PlifKernelOptions kernel_options(const PlifOptions& o) {
  kernels::PlifKernelOptions k;
  k.surrogate_alpha = o.surrogate_alpha;
  k.surrogate = o.surrogate;
  k.hard_reset = o.reset == ResetMode::Hard;
  k.decay_input = o.decay_input;
  k.detach_reset = o.detach_reset;
  return k;
}

// Takes beta = sigmoid(w) (autograd differentiates the sigmoid); saves x, beta, v_th, v0, V_post.
struct PlifFunction : torch::autograd::Function<PlifFunction> {
  // x: (B, L, D), beta, v_th: (D), v0: (B, D) or undefined, all contiguous -> [s, v]
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& beta, const torch::Tensor& v_th,
                               const torch::Tensor& v0, const PlifOptions& opt) {
    auto s = torch::empty_like(x), v = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "plif_forward_cpu", [&] {
      kernels::PlifForwardParams<scalar_t> p;
      p.B = x.size(0), p.L = x.size(1), p.D = x.size(2);
      p.x = x.data_ptr<scalar_t>(), p.beta = beta.data_ptr<scalar_t>();
      p.v_th = v_th.data_ptr<scalar_t>(), p.v0 = ptr_or_null<scalar_t>(v0_or_none(v0));
      p.s = s.data_ptr<scalar_t>(), p.v = v.data_ptr<scalar_t>();
      p.opt = kernel_options(opt);
      kernels::plif_forward_cpu(p);
    });
    ctx->save_for_backward({x, beta, v_th, v0, v});
    auto& d = ctx->saved_data;
    d["surrogate"] = static_cast<int64_t>(opt.surrogate);
    d["surrogate_alpha"] = static_cast<double>(opt.surrogate_alpha);
    d["reset"] = static_cast<int64_t>(opt.reset);
    d["decay_input"] = opt.decay_input;
    d["detach_reset"] = opt.detach_reset;
    return {s, v};
  }

  // grad: [dL/ds, dL/dv] (B, L, D), either may be undefined -> d(x, beta, v_th, v0)
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &beta = saved[1], &v_th = saved[2], &v0 = saved[3], &v = saved[4];
    auto& d = ctx->saved_data;
    PlifOptions opt;
    opt.surrogate = static_cast<Surrogate>(d["surrogate"].toInt());
    opt.surrogate_alpha = static_cast<float>(d["surrogate_alpha"].toDouble());
    opt.reset = static_cast<ResetMode>(d["reset"].toInt());
    opt.decay_input = d["decay_input"].toBool();
    opt.detach_reset = d["detach_reset"].toBool();
    // A sum() upstream hands us an expanded (stride 0) gradient; the kernel wants contiguous.
    auto prep = [&](const torch::Tensor& g) {
      return g.defined() ? g.to(x.scalar_type()).contiguous() : g;
    };
    const auto gs = prep(grad[0]), gv = prep(grad[1]);
    const int64_t B = x.size(0), D = x.size(2);
    auto dx = torch::empty_like(x);
    auto dbeta_rows = torch::empty({B, D}, x.options()),
         dvth_rows = torch::empty({B, D}, x.options());
    torch::Tensor d_v0 = v0.dim() == 2 ? torch::empty_like(v0) : torch::Tensor();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "plif_backward_cpu", [&] {
      kernels::PlifBackwardParams<scalar_t> p;
      p.B = B, p.L = x.size(1), p.D = D;
      p.x = x.data_ptr<scalar_t>(), p.beta = beta.data_ptr<scalar_t>();
      p.v_th = v_th.data_ptr<scalar_t>(), p.v0 = ptr_or_null<scalar_t>(v0_or_none(v0));
      p.v = v.data_ptr<scalar_t>();
      p.grad_s = ptr_or_null<scalar_t>(gs), p.grad_v = ptr_or_null<scalar_t>(gv);
      p.dx = dx.data_ptr<scalar_t>();
      p.dbeta_rows = dbeta_rows.data_ptr<scalar_t>(), p.dvth_rows = dvth_rows.data_ptr<scalar_t>();
      p.d_v0 = ptr_or_null<scalar_t>(d_v0);
      p.opt = kernel_options(opt);
      kernels::plif_backward_cpu(p);
    });
    return {dx, dbeta_rows.sum(0), dvth_rows.sum(0), d_v0, torch::Tensor()};
  }
};

void check_inputs(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& v_th,
                  const torch::Tensor& v0, const PlifOptions& opt) {
  TORCH_CHECK(x.defined() && w.defined() && v_th.defined(),
              "[plif_multistep] x, w and v_th must be defined");
  TORCH_CHECK(x.dim() == 3, "[plif_multistep] expected x of shape (B, L, D), got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble,
              "[plif_multistep] expected float32 or float64 x, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu() && w.device().is_cpu() && v_th.device().is_cpu(),
              "[plif_multistep] expected CPU tensors");
  const int64_t D = x.size(2);
  TORCH_CHECK(w.dim() == 1 && w.size(0) == D && w.scalar_type() == x.scalar_type(),
              "[plif_multistep] expected w of shape (D) = (", D, ") ", x.scalar_type(), ", got ",
              w.sizes(), " ", w.scalar_type());
  TORCH_CHECK(v_th.dim() == 1 && v_th.size(0) == D && v_th.scalar_type() == x.scalar_type(),
              "[plif_multistep] expected v_th of shape (D) = (", D, ") ", x.scalar_type(), ", got ",
              v_th.sizes(), " ", v_th.scalar_type());
  if (v0.defined())
    TORCH_CHECK(v0.dim() == 2 && v0.size(0) == x.size(0) && v0.size(1) == D &&
                    v0.scalar_type() == x.scalar_type() && v0.device().is_cpu(),
                "[plif_multistep] expected v0 of shape (B, D) = (", x.size(0), ", ", D, ") ",
                x.scalar_type(), ", got ", v0.sizes(), " ", v0.scalar_type());
  TORCH_CHECK(opt.surrogate_alpha > 0 && std::isfinite(opt.surrogate_alpha),
              "[plif_multistep] surrogate_alpha must be positive and finite, got ",
              opt.surrogate_alpha);
}

}  // namespace

PlifOutput plif_multistep(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& v_th,
                          const PlifOptions& opt, const torch::Tensor& v0) {
  check_inputs(x, w, v_th, v0, opt);
  const auto beta = torch::sigmoid(w).contiguous();
  auto out =
      PlifFunction::apply(x.contiguous(), beta, v_th.contiguous(),
                          v0.defined() ? v0.contiguous() : torch::empty({0}, x.options()), opt);
  return {out[0], out[1]};
}

}  // namespace spikessm

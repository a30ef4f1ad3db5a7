// Public selective PLIF (papers.md 3.1): input checks and the autograd Function around the
// fused kernels.
#include "spikessm/neurons/selective_plif.h"

#include <cmath>

#include "../kernels/cpu/selective_plif_cpu.h"
#include "stateful_op_util.h"

namespace spikessm {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

using detail::ptr_or_null;
using detail::v0_or_none;

// Saves the four inputs, v0 and V_post; spikes, V_pre and the slopes are recomputed.
struct SelectivePlifFunction : torch::autograd::Function<SelectivePlifFunction> {
  // current, beta, gain, v_th: (B, L, D) contiguous, v0: (B, D) or undefined -> [s, v]
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& current,
                               const torch::Tensor& beta, const torch::Tensor& gain,
                               const torch::Tensor& v_th, const torch::Tensor& v0,
                               const SelectivePlifOptions& opt) {
    auto s = torch::empty_like(current), v = torch::empty_like(current);
    AT_DISPATCH_FLOATING_TYPES(current.scalar_type(), "selective_plif_forward_cpu", [&] {
      kernels::SelectivePlifForwardParams<scalar_t> p;
      p.B = current.size(0), p.L = current.size(1), p.D = current.size(2);
      p.current = current.data_ptr<scalar_t>(), p.beta = beta.data_ptr<scalar_t>();
      p.gain = gain.data_ptr<scalar_t>(), p.v_th = v_th.data_ptr<scalar_t>();
      p.v0 = ptr_or_null<scalar_t>(v0_or_none(v0));
      p.s = s.data_ptr<scalar_t>(), p.v = v.data_ptr<scalar_t>();
      kernels::selective_plif_forward_cpu(p);
    });
    ctx->save_for_backward({current, beta, gain, v_th, v0, v});
    ctx->saved_data["surrogate"] = static_cast<int64_t>(opt.surrogate);
    ctx->saved_data["surrogate_alpha"] = static_cast<double>(opt.surrogate_alpha);
    ctx->saved_data["detach_reset"] = opt.detach_reset;
    return {s, v};
  }

  // grad: [dL/ds, dL/dv] (B, L, D), either may be undefined -> d(current, beta, gain, v_th, v0)
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto &current = saved[0], &beta = saved[1], &gain = saved[2], &v_th = saved[3],
               &v0 = saved[4], &v = saved[5];
    // A sum() upstream hands us an expanded (stride 0) gradient; the kernel wants contiguous.
    auto prep = [&](const torch::Tensor& g) {
      return g.defined() ? g.to(current.scalar_type()).contiguous() : g;
    };
    const auto gs = prep(grad[0]), gv = prep(grad[1]);
    auto d_current = torch::empty_like(current), d_beta = torch::empty_like(current);
    auto d_gain = torch::empty_like(current), d_vth = torch::empty_like(current);
    torch::Tensor d_v0 = v0.dim() == 2 ? torch::empty_like(v0) : torch::Tensor();
    AT_DISPATCH_FLOATING_TYPES(current.scalar_type(), "selective_plif_backward_cpu", [&] {
      kernels::SelectivePlifBackwardParams<scalar_t> p;
      p.B = current.size(0), p.L = current.size(1), p.D = current.size(2);
      p.current = current.data_ptr<scalar_t>(), p.beta = beta.data_ptr<scalar_t>();
      p.gain = gain.data_ptr<scalar_t>(), p.v_th = v_th.data_ptr<scalar_t>();
      p.v0 = ptr_or_null<scalar_t>(v0_or_none(v0)), p.v = v.data_ptr<scalar_t>();
      p.grad_s = ptr_or_null<scalar_t>(gs), p.grad_v = ptr_or_null<scalar_t>(gv);
      p.d_current = d_current.data_ptr<scalar_t>(), p.d_beta = d_beta.data_ptr<scalar_t>();
      p.d_gain = d_gain.data_ptr<scalar_t>(), p.d_vth = d_vth.data_ptr<scalar_t>();
      p.d_v0 = ptr_or_null<scalar_t>(d_v0);
      p.opt.surrogate = static_cast<Surrogate>(ctx->saved_data["surrogate"].toInt());
      p.opt.surrogate_alpha = ctx->saved_data["surrogate_alpha"].toDouble();
      p.opt.detach_reset = ctx->saved_data["detach_reset"].toBool();
      kernels::selective_plif_backward_cpu(p);
    });
    return {d_current, d_beta, d_gain, d_vth, d_v0, torch::Tensor()};
  }
};

void check_inputs(const torch::Tensor& current, const torch::Tensor& beta,
                  const torch::Tensor& gain, const torch::Tensor& v_th, const torch::Tensor& v0,
                  const SelectivePlifOptions& opt) {
  const char* names[] = {"current", "beta", "gain", "v_th"};
  const torch::Tensor* ts[] = {&current, &beta, &gain, &v_th};
  for (int i = 0; i < 4; ++i) {
    const auto& t = *ts[i];
    TORCH_CHECK(t.defined(), "[selective_plif] ", names[i], " is undefined");
    TORCH_CHECK(t.dim() == 3, "[selective_plif] expected ", names[i], " of shape (B, L, D), got ",
                t.sizes());
    TORCH_CHECK(t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble,
                "[selective_plif] expected float32 or float64 ", names[i], ", got ",
                t.scalar_type());
    TORCH_CHECK(t.device().is_cpu(), "[selective_plif] expected a CPU tensor ", names[i], ", got ",
                t.device());
    TORCH_CHECK(t.sizes() == current.sizes() && t.scalar_type() == current.scalar_type(),
                "[selective_plif] ", names[i], " ", t.sizes(), " ", t.scalar_type(),
                " does not match current ", current.sizes(), " ", current.scalar_type());
  }
  if (v0.defined())
    TORCH_CHECK(v0.dim() == 2 && v0.size(0) == current.size(0) && v0.size(1) == current.size(2) &&
                    v0.scalar_type() == current.scalar_type() && v0.device().is_cpu(),
                "[selective_plif] expected v0 of shape (B, D) = (", current.size(0), ", ",
                current.size(2), ") ", current.scalar_type(), ", got ", v0.sizes(), " ",
                v0.scalar_type());
  TORCH_CHECK(opt.surrogate_alpha > 0 && std::isfinite(opt.surrogate_alpha),
              "[selective_plif] surrogate_alpha must be positive and finite, got ",
              opt.surrogate_alpha);
}

}  // namespace

SelectivePlifOutput selective_plif(const torch::Tensor& current, const torch::Tensor& beta,
                                   const torch::Tensor& gain, const torch::Tensor& v_th,
                                   const SelectivePlifOptions& opt, const torch::Tensor& v0) {
  check_inputs(current, beta, gain, v_th, v0, opt);
  auto out = SelectivePlifFunction::apply(
      current.contiguous(), beta.contiguous(), gain.contiguous(), v_th.contiguous(),
      v0.defined() ? v0.contiguous() : torch::empty({0}, current.options()), opt);
  return {out[0], out[1]};
}

}  // namespace spikessm

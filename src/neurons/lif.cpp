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

// x: (B, L, D) contiguous, scale: (D), or undefined or (0) for none -> s: (B, L, D) of the
// neuron fed x * scale;
// also writes the block checkpoints ckpt: (B, lif_checkpoints(L), D) when defined, and carries
// the membrane v: (B, D) in and out when it is defined (streaming).
torch::Tensor run_forward(const torch::Tensor& x, const torch::Tensor& scale, const LifOptions& opt,
                          const torch::Tensor& ckpt, const torch::Tensor& v = torch::Tensor()) {
  auto s = torch::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lif_forward_cpu", [&] {
    kernels::LifForwardParams<scalar_t> p;
    p.B = x.size(0), p.L = x.size(1), p.D = x.size(2);
    p.x = x.data_ptr<scalar_t>();
    p.scale = scale.defined() && scale.numel() > 0 ? scale.data_ptr<scalar_t>() : nullptr;
    p.s = s.data_ptr<scalar_t>();
    p.ckpt = ckpt.defined() ? ckpt.data_ptr<scalar_t>() : nullptr;
    p.v = v.defined() ? v.data_ptr<scalar_t>() : nullptr;
    p.opt = kernel_options(opt);
    kernels::lif_forward_cpu(p);
  });
  return s;
}

void save_options(AutogradContext* ctx, const LifOptions& opt) {
  auto& d = ctx->saved_data;
  d["tau"] = static_cast<double>(opt.tau);
  d["v_th"] = static_cast<double>(opt.v_th);
  d["alpha"] = static_cast<double>(opt.alpha);
  d["surrogate"] = static_cast<int64_t>(opt.surrogate);
  d["reset"] = static_cast<int64_t>(opt.reset);
  d["grad"] = static_cast<int64_t>(opt.grad);
  d["detach_reset"] = opt.detach_reset;
}

LifOptions saved_options(AutogradContext* ctx) {
  auto& d = ctx->saved_data;
  LifOptions opt;
  opt.tau = static_cast<float>(d["tau"].toDouble());
  opt.v_th = static_cast<float>(d["v_th"].toDouble());
  opt.alpha = static_cast<float>(d["alpha"].toDouble());
  opt.surrogate = static_cast<Surrogate>(d["surrogate"].toInt());
  opt.reset = static_cast<ResetMode>(d["reset"].toInt());
  opt.grad = static_cast<GradMode>(d["grad"].toInt());
  opt.detach_reset = d["detach_reset"].toBool();
  return opt;
}

// Saves x and the block checkpoints (B, L / 32, D): the backward replays u' from them (one
// stream less than saving u', see lif_cpu.h). With a scale (the block's threshold scaling
// y = x * scale) the product is never materialised; scale's gradient is the sum of dy * x
// over (B, L), reduced exactly as autograd reduces a broadcast product's gradient.
struct LifFunction : torch::autograd::Function<LifFunction> {
  // x: (B, L, D) contiguous, scale: (D) or (0) for none -> s: (B, L, D)
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& scale, const LifOptions& opt) {
    auto ckpt =
        torch::empty({x.size(0), kernels::lif_checkpoints(x.size(1)), x.size(2)}, x.options());
    auto s = run_forward(x, scale, opt, ckpt);
    ctx->save_for_backward({x, scale, ckpt});
    save_options(ctx, opt);
    return s;
  }

  // grad: (B, L, D) dL/ds -> dx: (B, L, D), dscale: (D)
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &scale = saved[1], &ckpt = saved[2];
    const bool has_scale = scale.numel() > 0, want_dscale = has_scale && ctx->needs_input_grad(1);
    // A sum() upstream hands us an expanded (stride 0) gradient; the kernel wants contiguous.
    const auto g = grad[0].to(x.scalar_type()).contiguous();
    auto dx = torch::empty_like(x);
    auto dscale_terms = want_dscale ? torch::empty_like(x) : torch::Tensor();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lif_backward_cpu", [&] {
      kernels::LifBackwardParams<scalar_t> p;
      p.B = x.size(0), p.L = x.size(1), p.D = x.size(2);
      p.grad_s = g.data_ptr<scalar_t>();
      p.x = x.data_ptr<scalar_t>();
      p.scale = has_scale ? scale.data_ptr<scalar_t>() : nullptr;
      p.ckpt = ckpt.data_ptr<scalar_t>();
      p.dx = dx.data_ptr<scalar_t>();
      p.dscale = want_dscale ? dscale_terms.data_ptr<scalar_t>() : nullptr;
      p.opt = kernel_options(saved_options(ctx));
      kernels::lif_backward_cpu(p);
    });
    // at::sum_to's reduction of a (B, L, D) gradient to (D): the same bits as y = x * scale.
    auto dscale = want_dscale ? dscale_terms.sum(at::IntArrayRef{0, 1}, true).view({x.size(2)})
                              : torch::Tensor();
    return variable_list{dx, dscale, torch::Tensor()};
  }
};

void check_input(const char* op, const torch::Tensor& x, const LifOptions& opt) {
  TORCH_CHECK(x.defined(), "[", op, "] x is undefined");
  TORCH_CHECK(x.dim() == 3, "[", op, "] expected x of shape (B, L, D), got ", x.sizes());
  TORCH_CHECK(x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble, "[", op,
              "] expected float32 or float64 x, got ", x.scalar_type());
  TORCH_CHECK(x.device().is_cpu(), "[", op, "] expected a CPU tensor, got ", x.device());
  TORCH_CHECK(std::isfinite(opt.tau) && std::isfinite(opt.v_th), "[", op,
              "] tau and v_th must be finite, got tau=", opt.tau, " v_th=", opt.v_th);
  TORCH_CHECK(opt.alpha > 0 && std::isfinite(opt.alpha), "[", op,
              "] alpha must be positive and finite, got ", opt.alpha);
}

}  // namespace

// x: (B, L, D) -> s: (B, L, D)
torch::Tensor lif_multistep(const torch::Tensor& x, const LifOptions& opt) {
  check_input("lif_multistep", x, opt);
  const auto xc = x.contiguous();
  if (torch::GradMode::is_enabled() && x.requires_grad())
    return LifFunction::apply(xc, torch::empty({0}, xc.options()), opt);  // no scale
  return run_forward(xc, torch::Tensor(), opt, torch::Tensor());          // inference: nothing kept
}

// x: (B, L, D), scale: (D) -> s: (B, L, D)
torch::Tensor lif_scaled(const torch::Tensor& x, const torch::Tensor& scale,
                         const LifOptions& opt) {
  check_input("lif_scaled", x, opt);
  TORCH_CHECK(scale.defined() && scale.dim() == 1 && scale.size(0) == x.size(2) &&
                  scale.scalar_type() == x.scalar_type() && scale.device().is_cpu(),
              "[lif_scaled] expected scale of shape (", x.size(2), ") and x's dtype, got ",
              scale.defined() ? scale.sizes() : c10::IntArrayRef{});
  const auto xc = x.contiguous(), sc = scale.contiguous();
  if (torch::GradMode::is_enabled() && (x.requires_grad() || scale.requires_grad()))
    return LifFunction::apply(xc, sc, opt);
  return run_forward(xc, sc, opt, torch::Tensor());
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
  return run_forward(x.contiguous(), torch::Tensor(), opt, torch::Tensor(), v);
}

}  // namespace spikessm

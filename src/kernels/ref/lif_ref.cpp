// Reference twin of the fused LIF kernel: a loop over time of ATen ops on (B, D) slices,
// differentiated by autograd. Slow but obviously right; tests compare the kernel against it.
#include <cmath>

#include "spikessm/neurons/lif.h"

namespace spikessm::ref {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// ds/dh for h = u' - v_th, written with ATen ops straight from the definitions in surrogate.h.
torch::Tensor surrogate_derivative(const torch::Tensor& h, Surrogate kind, double alpha) {
  switch (kind) {
    case Surrogate::Triangle:
      return (1 - h.abs()).clamp_min(0);
    case Surrogate::Sigmoid: {
      const auto s = torch::sigmoid(h * alpha);
      return alpha * s * (1 - s);
    }
    case Surrogate::Atan: {
      const auto z = h * (M_PI / 2 * alpha);
      return (alpha / 2) / (1 + z * z);
    }
  }
  TORCH_CHECK(false, "[ref::lif_multistep] unknown surrogate");
}

// Heaviside forward (exactly 0/1, H(0) = 1), surrogate derivative backward.
// h: (B, D) -> s: (B, D)
struct SpikeFunction : torch::autograd::Function<SpikeFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& h, Surrogate kind,
                               double alpha) {
    ctx->save_for_backward({h});
    ctx->saved_data["kind"] = static_cast<int64_t>(kind);
    ctx->saved_data["alpha"] = alpha;
    return h.ge(0).to(h.scalar_type());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const auto h = ctx->get_saved_variables()[0];
    const auto kind = static_cast<Surrogate>(ctx->saved_data["kind"].toInt());
    const double alpha = ctx->saved_data["alpha"].toDouble();
    return {grad[0] * surrogate_derivative(h, kind, alpha), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

// x: (B, L, D) -> s: (B, L, D)
torch::Tensor lif_multistep(const torch::Tensor& x, const LifOptions& opt) {
  TORCH_CHECK(x.dim() == 3, "[ref::lif_multistep] expected x of shape (B, L, D), got ",
              x.sizes());
  TORCH_CHECK(x.is_floating_point(), "[ref::lif_multistep] expected a floating x, got ",
              x.scalar_type());
  if (x.size(1) == 0) return torch::zeros_like(x);
  // unbind, not select: its backward is one stack instead of L full-size zero tensors.
  const auto steps = x.unbind(1);
  std::vector<torch::Tensor> spikes;
  spikes.reserve(steps.size());
  auto u = torch::zeros({x.size(0), x.size(2)}, x.options().requires_grad(false));
  for (const auto& x_t : steps) {
    // SLTT keeps only the within-step gradient: the leak sees a detached membrane.
    const auto leak = opt.grad == GradMode::SLTT ? u.detach() : u;
    const auto u_pre = leak * static_cast<double>(opt.tau) + x_t;  // two roundings, as the kernel
    const auto s = SpikeFunction::apply(u_pre - static_cast<double>(opt.v_th), opt.surrogate,
                                        static_cast<double>(opt.alpha));
    const auto s_reset = opt.detach_reset ? s.detach() : s;
    u = opt.reset == ResetMode::Hard ? u_pre * (1 - s_reset)
                                     : u_pre - s_reset * static_cast<double>(opt.v_th);
    spikes.push_back(s);
  }
  return torch::stack(spikes, 1);
}

}  // namespace spikessm::ref

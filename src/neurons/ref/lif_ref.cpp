// Reference twin of the fused LIF kernel: a loop over time of ATen ops on (B, D) slices,
// differentiated by autograd. Slow but obviously right; tests compare the kernel against it.
#include <cmath>

#include "spike_ref.h"
#include "spikessm/neurons/lif.h"

namespace spikessm::ref {

// x: (B, L, D) -> s: (B, L, D)
torch::Tensor lif_multistep(const torch::Tensor& x, const LifOptions& opt) {
  TORCH_CHECK(x.dim() == 3, "[ref::lif_multistep] expected x of shape (B, L, D), got ", x.sizes());
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

// x: (B, L, D), scale: (D) -> s: (B, L, D)
torch::Tensor lif_scaled(const torch::Tensor& x, const torch::Tensor& scale,
                         const LifOptions& opt) {
  return ref::lif_multistep(x * scale, opt);
}

}  // namespace spikessm::ref

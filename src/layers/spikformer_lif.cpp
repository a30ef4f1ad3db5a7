#include "spikessm/layers/spikformer_lif.h"

#include "spikessm/neurons/lif.h"

namespace spikessm {

// x: (T, ...) -> s: (T, ...)
torch::Tensor spikformer_lif(const torch::Tensor& x, double v_th, double tau) {
  TORCH_CHECK(x.dim() >= 2, "[spikformer_lif] x must be (T, ...), got ", x.sizes());
  TORCH_CHECK(tau > 1.0, "[spikformer_lif] tau must exceed 1 (decay 1 - 1/tau), got ", tau);
  LifOptions o;
  o.tau = float(1.0 - 1.0 / tau);
  o.v_th = float(v_th);
  o.reset = ResetMode::Hard;
  o.grad = GradMode::BPTT;
  o.detach_reset = true;
  o.surrogate = Surrogate::Sigmoid;
  o.alpha = 4.0f;
  const int64_t T = x.size(0);
  // (T, M) time-major is exactly (B = 1, L = T, D = M)
  auto s = lif_multistep((x * (1.0 / tau)).reshape({1, T, -1}), o);
  return s.view(x.sizes());
}

}  // namespace spikessm

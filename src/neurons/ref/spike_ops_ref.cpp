// Reference twins of the stateless spikes (Heaviside of Binary S4D, ternary spike of the
// GSU): ATen ops and the shared reference spike function, differentiated by autograd.
#include "spike_ref.h"
#include "spikessm/neurons/heaviside.h"
#include "spikessm/neurons/ternary.h"

namespace spikessm::ref {

// x: any shape -> s: same shape
torch::Tensor heaviside_spike(const torch::Tensor& x, const HeavisideOptions& opt) {
  return SpikeFunction::apply(x - opt.v_th, opt.surrogate,
                              static_cast<double>(opt.surrogate_alpha));
}

// x: (..., D), scale: one element -> q: x's shape
torch::Tensor ternary_spike(const torch::Tensor& x, const torch::Tensor& scale,
                            const TernaryOptions& opt) {
  TORCH_CHECK(x.dim() >= 1 && scale.numel() == 1, "[ref::ternary_spike] bad shapes");
  const auto mag = x.detach().abs();
  const auto m =
      opt.scope == TernaryScope::Row ? std::get<0>(mag.max(-1, /*keepdim=*/true)) : mag.max();
  const auto th = m * opt.ratio;  // a constant: no gradient through max|x|
  const double a = opt.surrogate_alpha;
  const auto unit = SpikeFunction::apply(x - th, opt.surrogate, a) -
                    SpikeFunction::apply(-x - th, opt.surrogate, a);
  return scale.reshape({}) * unit;
}

}  // namespace spikessm::ref

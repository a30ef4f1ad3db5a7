// Reference twin of the fused parametric LIF: a loop over time of ATen ops on (B, D) slices,
// differentiated by autograd (papers.md 3.1, PLIFNode).
#include "spike_ref.h"
#include "spikessm/neurons/plif.h"

namespace spikessm::ref {

// x: (B, L, D), w, v_th: (D), v0: (B, D) or undefined -> s, v: (B, L, D)
PlifOutput plif_multistep(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& v_th,
                          const PlifOptions& opt, const torch::Tensor& v0) {
  TORCH_CHECK(x.dim() == 3 && w.dim() == 1 && v_th.dim() == 1,
              "[ref::plif_multistep] expected x (B, L, D), w (D), v_th (D)");
  if (x.size(1) == 0) return {torch::zeros_like(x), torch::zeros_like(x)};
  const auto beta = torch::sigmoid(w);
  const auto one_minus_beta = 1 - beta;
  std::vector<torch::Tensor> spikes, membrane;
  auto v = v0.defined() ? v0 : torch::zeros({x.size(0), x.size(2)}, x.options());
  for (const auto& x_t : x.unbind(1)) {
    const auto v_pre = beta * v + (opt.decay_input ? one_minus_beta * x_t : x_t);
    const auto s =
        SpikeFunction::apply(v_pre - v_th, opt.surrogate, static_cast<double>(opt.surrogate_alpha));
    const auto s_reset = opt.detach_reset ? s.detach() : s;
    v = opt.reset == ResetMode::Hard ? v_pre * (1 - s_reset) : v_pre - v_th * s_reset;
    spikes.push_back(s);
    membrane.push_back(v);
  }
  return {torch::stack(spikes, 1), torch::stack(membrane, 1)};
}

}  // namespace spikessm::ref

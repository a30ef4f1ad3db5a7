// Reference twin of the fused selective PLIF: a loop over time of ATen ops on (B, D) slices,
// differentiated by autograd, written from papers.md 3.1.
#include "spike_ref.h"
#include "spikessm/neurons/selective_plif.h"

namespace spikessm::ref {

// current, beta, gain, v_th: (B, L, D), v0: (B, D) or undefined -> s, v: (B, L, D)
SelectivePlifOutput selective_plif(const torch::Tensor& current, const torch::Tensor& beta,
                                   const torch::Tensor& gain, const torch::Tensor& v_th,
                                   const SelectivePlifOptions& opt, const torch::Tensor& v0) {
  TORCH_CHECK(current.dim() == 3 && beta.sizes() == current.sizes() &&
                  gain.sizes() == current.sizes() && v_th.sizes() == current.sizes(),
              "[ref::selective_plif] expected four (B, L, D) inputs of one shape");
  if (current.size(1) == 0) return {torch::zeros_like(current), torch::zeros_like(current)};
  const auto I = current.unbind(1), be = beta.unbind(1), ga = gain.unbind(1), th = v_th.unbind(1);
  std::vector<torch::Tensor> spikes, membrane;
  auto v = v0.defined() ? v0 : torch::zeros({current.size(0), current.size(2)}, current.options());
  for (size_t t = 0; t < I.size(); ++t) {
    const auto v_pre = be[t] * v + ga[t] * I[t];
    const auto s = SpikeFunction::apply(v_pre - th[t], opt.surrogate,
                                        static_cast<double>(opt.surrogate_alpha));
    v = v_pre - th[t] * (opt.detach_reset ? s.detach() : s);
    spikes.push_back(s);
    membrane.push_back(v);
  }
  return {torch::stack(spikes, 1), torch::stack(membrane, 1)};
}

}  // namespace spikessm::ref

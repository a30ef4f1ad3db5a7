// Reference twin of the fused selective linear scan: a loop over time of ATen ops on (B, D)
// slices, differentiated by autograd.
#include "spikessm/ssm/selective_scan.h"

namespace spikessm::ref {

// u: (B, L, D), beta: (B, L, D) or (D), h0: (B, D) or undefined -> h: (B, L, D)
torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& beta,
                             const torch::Tensor& h0) {
  TORCH_CHECK(u.dim() == 3 && (beta.sizes() == u.sizes() || beta.dim() == 1),
              "[ref::selective_scan] expected u (B, L, D) and beta (B, L, D) or (D)");
  if (u.size(1) == 0) return torch::zeros_like(u);
  auto h = h0.defined() ? h0 : torch::zeros({u.size(0), u.size(2)}, u.options());
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t < u.size(1); ++t) {
    const auto b = beta.dim() == 1 ? beta : beta.select(1, t);
    h = b * h + u.select(1, t);
    out.push_back(h);
  }
  return torch::stack(out, 1);
}

}  // namespace spikessm::ref

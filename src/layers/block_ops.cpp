#include "spikessm/layers/block_ops.h"

namespace spikessm {

torch::Tensor tied_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  auto mask = torch::empty({x.size(0), 1, x.size(2)}, x.options()).bernoulli_(1 - p);  // (B, 1, H)
  return x * mask / (1 - p);
}

torch::Tensor channel_norm(const torch::Tensor& x, torch::nn::LayerNorm& layer_norm,
                           torch::nn::BatchNorm1d& batch_norm) {
  if (layer_norm) return layer_norm(x);
  if (batch_norm) {  // fold (B, L) into BatchNorm's batch axis
    auto sizes = x.sizes().vec();
    return batch_norm(x.reshape({-1, sizes[2]})).view(sizes);
  }
  return x;
}

}  // namespace spikessm

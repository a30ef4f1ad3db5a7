#include "spikessm/layers/binary_s4d_block.h"

#include "spikessm/common/error.h"
#include "spikessm/layers/spike_ops.h"

namespace spikessm {

MixerKind mixer_from_string(const std::string& name) {
  if (name == "glu") return MixerKind::Glu;
  if (name == "gsu") return MixerKind::Gsu;
  throw InputError("model.mixer: unknown mixer '" + name + "' (expected glu or gsu)");
}

BinaryActivation binary_activation_from_string(const std::string& name) {
  if (name == "heaviside") return BinaryActivation::Heaviside;
  if (name == "gelu") return BinaryActivation::Gelu;
  throw InputError("model.binary_activation: unknown activation '" + name +
                   "' (expected heaviside or gelu)");
}

BinaryS4DBlockImpl::BinaryS4DBlockImpl(const BinaryS4DBlockOptions& options_)
    : options(options_) {
  reset();
}

void BinaryS4DBlockImpl::reset() {
  const int64_t H = options.s4d().d_model();
  s4d = register_module("s4d", S4D(options.s4d()));
  if (options.mixer() == MixerKind::Glu)
    mix = register_module("mix", torch::nn::Linear(H, 2 * H));
  else
    gsu = register_module("gsu", GSU(GSUOptions(H).gelu(options.gsu_gelu())));
  if (options.norm() == NormKind::Layer)
    layer_norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({H})));
  if (options.norm() == NormKind::Batch)
    batch_norm = register_module("norm", torch::nn::BatchNorm1d(H));
}

torch::Tensor BinaryS4DBlockImpl::normalise(const torch::Tensor& x) {
  if (layer_norm) return layer_norm(x);
  if (batch_norm) {  // per channel over (batch x time)
    auto sizes = x.sizes().vec();
    return batch_norm(x.reshape({-1, sizes[2]})).view(sizes);
  }
  return x;
}

torch::Tensor BinaryS4DBlockImpl::tied_dropout(const torch::Tensor& x) {
  const double p = options.dropout();
  if (!is_training() || p <= 0) return x;
  auto mask = torch::empty({x.size(0), 1, x.size(2)}, x.options()).bernoulli_(1 - p);  // (B, 1, H)
  return x * mask / (1 - p);
}

torch::Tensor BinaryS4DBlockImpl::forward(const torch::Tensor& x) {
  auto z = options.prenorm() ? normalise(x) : x;
  z = s4d(z);  // (B, L, H)
  if (options.activation() == BinaryActivation::Heaviside)
    z = heaviside_spike(z, options.surrogate(), options.alpha());  // {0, 1}
  else
    z = torch::gelu(z);
  if (collect_stats) {
    torch::NoGradGuard guard;
    counter.spikes += z.ne(0).sum().item<double>();
    counter.elements += double(z.numel());
  }
  z = tied_dropout(z);
  if (mix) {
    auto halves = mix(z).chunk(2, -1);  // (B, L, H) x 2
    z = halves[0] * torch::sigmoid(halves[1]);
  } else {
    z = gsu(z);
  }
  z = tied_dropout(z);
  auto out = x + z;
  return options.prenorm() ? out : normalise(out);
}

}  // namespace spikessm

#include "spikessm/layers/binary_s4d_block.h"

#include "spikessm/common/error.h"
#include "spikessm/layers/block_ops.h"
#include "spikessm/neurons/heaviside.h"

namespace spikessm {

BinaryS4DBlockImpl::BinaryS4DBlockImpl(const BinaryS4DBlockOptions& options_) : options(options_) {
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

torch::Tensor BinaryS4DBlockImpl::forward(const torch::Tensor& x) {
  auto z = options.prenorm() ? channel_norm(x, layer_norm, batch_norm) : x;
  z = s4d(z);  // (B, L, H)
  if (options.activation() == BinaryActivation::Heaviside)
    z = heaviside_spike(z, {0.0, options.surrogate(), float(options.alpha())});  // {0, 1}
  else
    z = torch::gelu(z);
  if (recorder && recorder->on()) recorder->spikes(stats_name + ".act", z);
  z = tied_dropout(z, options.dropout(), is_training());
  if (mix) {
    auto halves = mix(z).chunk(2, -1);  // (B, L, H) x 2
    z = halves[0] * torch::sigmoid(halves[1]);
  } else {
    z = gsu(z);
  }
  z = tied_dropout(z, options.dropout(), is_training());
  auto out = x + z;
  return options.prenorm() ? out : channel_norm(out, layer_norm, batch_norm);
}

void BinaryS4DBlockImpl::set_recorder(StatsRecorderPtr r, const std::string& name) {
  recorder = r;
  stats_name = name;
  if (gsu) {
    gsu->recorder = r;
    gsu->stats_name = name + ".gsu";
  }
}

}  // namespace spikessm

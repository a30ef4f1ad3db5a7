#include "spikessm/layers/spiking_ssm_block.h"

#include "spikessm/common/error.h"
#include "spikessm/layers/block_ops.h"
#include "spikessm/neurons/lif.h"

namespace spikessm {

SpikingSSMBlockImpl::SpikingSSMBlockImpl(const SpikingSSMBlockOptions& options_)
    : options(options_) {
  reset();
}

void SpikingSSMBlockImpl::reset() {
  const int64_t H = options.s4d().d_model();
  s4d = register_module("s4d", S4D(options.s4d()));
  mix = register_module("mix", torch::nn::Linear(H, options.linear_mix() ? H : 2 * H));
  if (options.norm() == NormKind::Layer)
    layer_norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({H})));
  if (options.norm() == NormKind::Batch)
    batch_norm = register_module("norm", torch::nn::BatchNorm1d(H));
  if (options.spiking() && options.neuron() == NeuronKind::Sdn) {
    const auto& lif = options.lif();
    require(lif.reset == ResetMode::Hard, "model.reset", "must be hard for the SDN neuron");
    require(lif.v_th == 1.0f, "model.v_th",
            "must be 1 for the SDN neuron (the learnable threshold scales the input instead)");
    sdn_weights = options.sdn_weights().empty() ? builtin_sdn_weights()
                                                : load_sdn_weights(options.sdn_weights());
    require(std::fabs(sdn_weights.tau - lif.tau) < 1e-6, "model.tau",
            "is " + std::to_string(lif.tau) + " but the SDN weights emulate tau " +
                std::to_string(sdn_weights.tau) +
                " (train matching ones with `spikessm sdn train`)");
    for (auto* t : {&sdn_weights.w1, &sdn_weights.b1, &sdn_weights.w2, &sdn_weights.b2,
                    &sdn_weights.w3, &sdn_weights.b3})
      *t = t->clone();
    register_buffer("sdn_w1", sdn_weights.w1);
    register_buffer("sdn_b1", sdn_weights.b1);
    register_buffer("sdn_w2", sdn_weights.w2);
    register_buffer("sdn_b2", sdn_weights.b2);
    register_buffer("sdn_w3", sdn_weights.w3);
    register_buffer("sdn_b3", sdn_weights.b3);
  }
  if (options.spiking() && options.neuron() == NeuronKind::SdnScratch)
    sdn_net = register_module("sdn", SdnNet());
  auto vth = torch::zeros({H});
  ln_vth =
      options.learnable_vth() ? register_parameter("ln_vth", vth) : register_buffer("ln_vth", vth);
}

// Inference on binary spikes (eval mode: dropout is the identity): the event-driven kernel
// with the GLU fused in.
namespace {
bool event_driven_mix(const SpikingSSMBlockImpl& block, const torch::Tensor& z) {
  const auto& o = block.options;
  return o.spiking() && !block.is_training() && !torch::GradMode::is_enabled() &&
         o.mix_kernel() != MixKernel::Dense && z.scalar_type() == torch::kFloat;
}
}  // namespace

torch::Tensor SpikingSSMBlockImpl::mix_glu(const torch::Tensor& z) {
  // z: (B, L, H) -> (B, L, H). One GEMM against a contiguous W^T (OpenBLAS runs ~1.5x faster
  // than with the transposed view nn::Linear passes), then a * sigmoid(b) (cheaper than glu).
  const int64_t H = z.size(2);
  const bool glu = !options.linear_mix();
  if (event_driven_mix(*this, z)) {
    MixChoice choice;
    auto out = spike_mix_linear(z.reshape({-1, H}), mix->weight.t().contiguous(), mix->bias,
                                options.mix_kernel(), &choice, glu);
    ++(choice.sparse ? sparse_mix_calls : dense_mix_calls);
    return out.view({z.size(0), z.size(1), H});
  }
  auto m = torch::addmm(mix->bias, z.reshape({-1, H}), mix->weight.t().contiguous());
  return (glu ? glu_halves(m) : m).view({z.size(0), z.size(1), H});
}

torch::Tensor SpikingSSMBlockImpl::soma(const torch::Tensor& y) {
  // y: (B, L, H) threshold-scaled currents -> spikes (B, L, H)
  const auto& lif = options.lif();
  switch (options.neuron()) {
    case NeuronKind::Lif:
      return lif_multistep(y, lif);
    case NeuronKind::Sdn:
      return sdn_spike(sdn_weights, y, lif.surrogate, lif.alpha);
    case NeuronKind::SdnScratch: {
      // The jointly trained SDN learns from the task loss through the surrogate; its input is
      // detached as in the frozen case, so y's gradient is the direct term only.
      const int64_t B = y.size(0), L = y.size(1), H = y.size(2);
      auto rows = y.detach().transpose(1, 2).reshape({B * H, L});
      auto m = sdn_net(rows).view({B, H, L}).transpose(1, 2);
      LifOptions o = lif;
      o.tau = 0.f;  // H(m + y - 1): a leak-free LIF step (see sdn_spike)
      return lif_multistep((m + y).contiguous(), o);
    }
  }
  return y;
}

torch::Tensor SpikingSSMBlockImpl::forward(const torch::Tensor& x) {
  auto z = options.prenorm() ? channel_norm(x, layer_norm, batch_norm) : x;
  z = s4d(z);  // (B, L, H)
  const bool record = recorder && recorder->on();
  if (options.spiking()) {
    const auto scale = torch::exp(-ln_vth);  // y / v_th as y * scale: a product's backward is cheap
    if (options.neuron() == NeuronKind::Lif && !record) {
      z = lif_scaled(z, scale, options.lif());  // threshold scaling fused into the neuron
    } else {
      const auto y = z * scale;
      z = soma(y);  // (B, L, H) in {0, 1}
      if (record) {
        const auto& lif = options.lif();
        if (options.neuron() == NeuronKind::Lif)
          recorder->lif_spikes(stats_name + ".lif", z, y,
                               {lif.tau, lif.v_th, lif.reset == ResetMode::Hard});
        else
          recorder->spikes(stats_name + ".lif", z);
      }
    }
  } else {
    z = torch::gelu(z);
  }
  const bool dropout = is_training() && options.dropout() > 0;
  z = tied_dropout(z, options.dropout(), is_training());
  torch::Tensor out;
  if (!options.linear_mix() && !dropout && !event_driven_mix(*this, z)) {
    // GEMM, then bias + GLU + residual as one op whose backward writes the GEMM's (B L, 2H)
    // gradient. Spikes in: at low rates the product and its weight gradient run event-driven
    // (model.mix_kernel forces either kernel).
    const int64_t H = z.size(2);
    const auto z2 = z.reshape({-1, H}), wt = mix->weight.t().contiguous();
    const auto kernel = options.mix_kernel();
    const double sparse_below = kernel == MixKernel::Dense    ? 0.0
                                : kernel == MixKernel::Sparse ? 2.0  // above any rate
                                                              : kSpikeMmSparseBelow;
    auto m = options.spiking() && z.scalar_type() == torch::kFloat ? spike_mm(z2, wt, sparse_below)
                                                                   : torch::mm(z2, wt);
    out = glu_residual(x, m.view({z.size(0), z.size(1), 2 * H}), mix->bias);
  } else {
    z = mix_glu(z);  // (B, L, H)
    z = tied_dropout(z, options.dropout(), is_training());
    out = x + z;
  }
  return options.prenorm() ? out : channel_norm(out, layer_norm, batch_norm);
}

}  // namespace spikessm

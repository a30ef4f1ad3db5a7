#include "spikessm/models/spiking_ssm_lm.h"

#include <cmath>

#include "spikessm/common/error.h"

namespace spikessm {

torch::Tensor lif_step(const torch::Tensor& x, torch::Tensor& v, const LifOptions& opt) {
  auto up = v * static_cast<double>(opt.tau) + x;  // two roundings, as the kernel
  auto s = up.ge(static_cast<double>(opt.v_th)).to(x.scalar_type());  // H(0) = 1
  v = opt.reset == ResetMode::Hard ? up * (1 - s) : up - s * static_cast<double>(opt.v_th);
  return s;
}

SpikingSsmLmImpl::SpikingSsmLmImpl(const SpikingSsmLmOptions& options_) : options(options_) {
  auto& bo = options.block();
  TORCH_CHECK(!bo.s4d().bidirectional(), "[SpikingSsmLm] the S4D must be causal");
  TORCH_CHECK(bo.prenorm() && bo.norm() == NormKind::Layer,
              "[SpikingSsmLm] blocks must be pre-LayerNorm");
  TORCH_CHECK(!bo.spiking() || bo.neuron() == NeuronKind::Lif,
              "[SpikingSsmLm] the soma must be the LIF");
  const int64_t H = bo.s4d().d_model();
  embed = register_module("embed", torch::nn::Embedding(options.vocab(), H));
  // Unit-variance logits at initialisation through the tied head: |E_v| ~ 1.
  torch::NoGradGuard ng;
  embed->weight.normal_(0.0, 1.0 / std::sqrt(double(H)));
  for (int64_t i = 0; i < options.n_layers(); ++i) {
    blocks.push_back(register_module("block" + std::to_string(i), SpikingSSMBlock(bo)));
    blocks.back()->recorder = recorder_;
    blocks.back()->stats_name = "block" + std::to_string(i);
  }
  final_norm =
      register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({H})));
}

torch::Tensor SpikingSsmLmImpl::head(const torch::Tensor& x) {
  return torch::matmul(final_norm(x), embed->weight.t());
}

torch::Tensor SpikingSsmLmImpl::forward(const torch::Tensor& ids) {
  auto x = embed(ids);  // (B, L, H)
  for (auto& b : blocks) x = b(x);
  return head(x);  // (B, L, V)
}

// The block's forward written out so that its S4D input and soma current are at hand for the
// final states; forward() calls the block itself, and the tests hold the two equal.
torch::Tensor SpikingSsmLmImpl::forward_with_state(const torch::Tensor& ids, LmState* state) {
  TORCH_CHECK(ids.dim() == 2 && ids.size(1) >= 1, "[SpikingSsmLm] ids must be (B, L) with L >= 1");
  state->tensors.clear();
  auto x = embed(ids);  // (B, L, H)
  for (auto& bm : blocks) {
    auto& b = *bm;
    auto z = b.layer_norm(x);
    state->tensors.push_back(b.s4d->state_after(z).h);
    z = b.s4d(z);  // (B, L, H)
    if (spiking()) {
      z = z * torch::exp(-b.ln_vth);
      auto s = lif_multistep(z, b.options.lif());
      // The membrane after the prompt: a cheap elementwise pass over time (B x H per step).
      torch::NoGradGuard ng;
      auto v = torch::zeros({z.size(0), z.size(2)}, z.options());
      for (int64_t t = 0; t < z.size(1); ++t) lif_step(z.select(1, t), v, b.options.lif());
      state->tensors.push_back(v);
      if (b.recorder) b.recorder->spikes(b.stats_name + ".lif", s);
      z = s;
    } else {
      z = torch::gelu(z);
    }
    auto m = torch::addmm(b.mix->bias, z.reshape({-1, z.size(2)}), b.mix->weight.t());
    auto halves = m.view({z.size(0), z.size(1), -1}).chunk(2, -1);
    x = x + halves[0] * torch::sigmoid(halves[1]);
  }
  return head(x);
}

LmState SpikingSsmLmImpl::initial_state(int64_t batch) {
  LmState st;
  for (auto& b : blocks) {
    st.tensors.push_back(b->s4d->initial_state(batch).h);
    if (spiking())
      st.tensors.push_back(torch::zeros({batch, b->s4d->options.d_model()}, b->ln_vth.options()));
  }
  return st;
}

torch::Tensor SpikingSsmLmImpl::block_step(SpikingSSMBlockImpl& b, const torch::Tensor& x,
                                           torch::Tensor& h, torch::Tensor& v) {
  auto z = b.layer_norm(x);  // (B, H)
  S4DState s4{h};
  z = b.s4d->step(z, s4);
  h = s4.h;
  if (spiking()) {
    z = lif_step(z * torch::exp(-b.ln_vth), v, b.options.lif());
    if (b.recorder) b.recorder->spikes(b.stats_name + ".lif", z.unsqueeze(1));  // (B, 1, H)
  } else {
    z = torch::gelu(z);
  }
  auto halves = torch::addmm(b.mix->bias, z, b.mix->weight.t()).chunk(2, -1);
  return x + halves[0] * torch::sigmoid(halves[1]);
}

torch::Tensor SpikingSsmLmImpl::step(const torch::Tensor& ids, LmState* state) {
  const int64_t per = tensors_per_layer();
  TORCH_CHECK(ids.dim() == 1, "[SpikingSsmLm.step] ids must be (B,)");
  TORCH_CHECK(int64_t(state->tensors.size()) == per * int64_t(blocks.size()),
              "[SpikingSsmLm.step] the state has ", state->tensors.size(), " tensors, expected ",
              per * int64_t(blocks.size()));
  auto x = embed(ids);  // (B, H)
  torch::Tensor none;
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto& h = state->tensors[i * per];
    auto& v = per == 2 ? state->tensors[i * per + 1] : none;
    x = block_step(*blocks[i], x, h, v);
  }
  return head(x);  // (B, V)
}

void SpikingSsmLmImpl::set_collect_stats(bool on) {
  if (on)
    recorder_->start();
  else
    recorder_->stop();
}

OpsReport SpikingSsmLmImpl::ops_report() const {
  // Per token. The embedding is a lookup (no arithmetic); the head's input is a LayerNorm
  // output (real-valued), so it is MACs in both models.
  OpsReport r;
  const auto& s4 = options.block().s4d();
  const double H = double(s4.d_model()), N = double(s4.d_state()), V = double(options.vocab());
  const auto mac = &LayerOps::mac;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::string p = "block" + std::to_string(i);
    // Recurrent S4D per token: N/2 modes x (complex Abar h: 4, Bbar x: 2, Re(C h): 2) + D skip.
    r.layers.push_back(mac(p + ".s4d", H * (4.0 * N + 1.0), false));
    LayerOps mix;
    mix.name = p + ".mix";
    mix.dense_macs = H * 2 * H;
    if (spiking()) {
      const SpikeStats* c = recorder_->find(p + ".lif");
      const double rate = c != nullptr ? c->rate() : 0.0;
      mix.kind = "AC";
      mix.firing_rate = rate;
      mix.ops = rate * mix.dense_macs;
    } else {
      mix.kind = "MAC";
      mix.ops = mix.dense_macs;
    }
    r.layers.push_back(mix);
  }
  r.layers.push_back(mac("head", H * V, false));
  r.mean_rate = recorder_->mean_rate();
  return r;
}

}  // namespace spikessm

// NeuronSpark language model (papers.md 3): parallel, prompt-with-state and step modes.
#include "spikessm/models/neuronspark_lm.h"

#include <cmath>

#include "spikessm/common/error.h"

namespace spikessm {

NeuronSparkLmImpl::NeuronSparkLmImpl(const NeuronSparkLmOptions& o) : options(o) {
  const int64_t D = o.d_model();
  TORCH_CHECK(o.vocab() >= 1 && D >= 1 && o.n_state() >= 1 && o.frames() >= 1 &&
                  o.n_layers() >= 1 && o.d_ff() >= 1,
              "[neuronspark_lm] sizes must be positive");
  embedding = register_parameter("embedding", torch::randn({o.vocab(), D}) * o.embed_std());
  PlifNodeOptions plif(D);
  plif.init_tau(o.plif_tau())
      .v_threshold(o.plif_v_th())
      .surrogate_alpha(o.surrogate_alpha())
      .spiking(o.spiking());
  for (int64_t i = 0; i < o.n_layers(); ++i) {
    NeuronSparkLayerOptions lo(D, o.n_state(), o.d_ff(), o.frames());
    lo.block()
        .v_min(o.v_min())
        .surrogate_alpha(o.surrogate_alpha())
        .spiking(o.spiking())
        .k_ref(o.k_ref())
        .p_assumed(o.p_assumed());
    lo.ffn().plif(plif);
    lo.plif(plif).n_layers(o.n_layers()).halt_bias(o.halt_bias());
    layers.push_back(register_module("layer" + std::to_string(i), NeuronSparkLayer(lo)));
  }
  norm_out = register_module("norm_out", RmsNorm(D));
  out_plif = register_module("out_plif", PlifNode(plif));
  proj = register_parameter("proj", (torch::rand({D, D}) * 2 - 1) / std::sqrt(double(D)));
  lateral = register_module("lateral", RmsNorm(D));
  stats_.resize(layers.size());
}

void NeuronSparkLmImpl::check_state(const LmState& s, int64_t batch) const {
  const size_t want = layers.size() * NeuronSparkLayerImpl::kStateTensors + 1;
  TORCH_CHECK(s.tensors.size() == want, "[neuronspark_lm] expected a state of ", want,
              " tensors, got ", s.tensors.size());
  for (const auto& t : s.tensors)
    TORCH_CHECK(t.defined() && t.dim() == 2 && t.size(0) == batch &&
                    t.scalar_type() == embedding.scalar_type(),
                "[neuronspark_lm] state tensors must be (", batch, ", n) ",
                embedding.scalar_type());
}

// ids: (B, L) -> logits (B, L, V)
torch::Tensor NeuronSparkLmImpl::run(const torch::Tensor& ids, const LmState* in, LmState* out) {
  TORCH_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kLong,
              "[neuronspark_lm] expected ids of shape (B, L) int64, got ", ids.sizes(), " ",
              ids.scalar_type());
  const int64_t B = ids.size(0), L = ids.size(1), K = options.frames(), D = options.d_model();
  TORCH_CHECK(B >= 1 && L >= 1,
              "[neuronspark_lm] expected at least one sequence of one token, got ", ids.sizes());
  if (ids.numel() > 0)
    TORCH_CHECK(ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < options.vocab(),
                "[neuronspark_lm] token ids must lie in [0, ", options.vocab(), ")");
  if (in != nullptr) check_state(*in, B);
  constexpr int S = NeuronSparkLayerImpl::kStateTensors;
  if (out != nullptr) out->tensors.assign(layers.size() * S + 1, torch::Tensor());

  auto h = repeat_frames(torch::embedding(embedding, ids), K);  // (B, L K, D)
  std::vector<torch::Tensor> ek;
  for (size_t i = 0; i < layers.size(); ++i) {
    auto o = layers[i]->forward(h, in != nullptr ? in->tensors.data() + i * S : nullptr,
                                out != nullptr ? out->tensors.data() + i * S : nullptr,
                                collect_ ? &stats_[i] : nullptr);
    h = o.h;
    ek.push_back(o.ek_block);
    ek.push_back(o.ek_ffn);
  }
  const auto leak = out_plif->forward(
      norm_out->forward(h), in != nullptr ? in->tensors.back() : torch::Tensor(),
      out != nullptr ? &out->tensors.back() : nullptr, collect_ ? &out_sink_ : nullptr);
  const auto m = leak.view({B, L, K, D}).mean(2);  // uniform mean over the K frames
  const auto y = lateral->forward(torch::matmul(m, proj.t()));
  if (collect_) tokens_ += static_cast<double>(B * L);
  last_aux_ = options.ponder_weight() * torch::stack(ek).mean();
  return torch::matmul(y, embedding.t());
}

torch::Tensor NeuronSparkLmImpl::forward(const torch::Tensor& ids) {
  return run(ids, nullptr, nullptr);
}

torch::Tensor NeuronSparkLmImpl::forward_with_state(const torch::Tensor& ids, LmState* state) {
  TORCH_CHECK(state != nullptr, "[neuronspark_lm] forward_with_state needs a state to fill");
  return run(ids, nullptr, state);
}

LmState NeuronSparkLmImpl::initial_state(int64_t batch) {
  const auto opt = embedding.options().requires_grad(false);
  const int64_t D = options.d_model(), F = options.d_ff();
  LmState s;
  for (size_t i = 0; i < layers.size(); ++i)
    for (int64_t n : {D, D * options.n_state(), D, F, F})
      s.tensors.push_back(torch::zeros({batch, n}, opt));
  s.tensors.push_back(torch::zeros({batch, D}, opt));
  return s;
}

// ids: (B,) -> logits (B, V); the state advances by one token (K frames).
torch::Tensor NeuronSparkLmImpl::step(const torch::Tensor& ids, LmState* state) {
  TORCH_CHECK(state != nullptr && ids.dim() == 1,
              "[neuronspark_lm] step expects ids (B,) and a state");
  LmState next;
  auto logits = run(ids.unsqueeze(1), state, &next);
  *state = std::move(next);
  return logits.squeeze(1);
}

torch::Tensor NeuronSparkLmImpl::aux_loss() {
  return last_aux_.defined() ? last_aux_ : torch::zeros({}, embedding.options());
}

void NeuronSparkLmImpl::adjust_gradients() {
  torch::NoGradGuard no_grad;
  for (auto& l : layers) l->block->compensate_gradients(options.grad_comp_max());
  // Phase 2: per-layer norms of the modulation-bias gradients -> their geometric mean.
  std::vector<double> norms;
  for (auto& l : layers) {
    double sq = 0;
    for (auto* p : {&l->block->b_beta, &l->block->b_alpha, &l->block->b_th})
      if (p->grad().defined()) sq += p->grad().pow(2).sum().item<double>();
    norms.push_back(std::sqrt(sq));
  }
  double log_mean = 0;
  for (double n : norms) {
    if (n <= 0) return;  // a layer without gradient: nothing to equalise against
    log_mean += std::log(n);
  }
  const double target = std::exp(log_mean / double(norms.size()));
  for (size_t i = 0; i < layers.size(); ++i) {
    auto& b = layers[i]->block;
    for (auto* p : {&b->b_beta, &b->b_alpha, &b->b_th})
      if (p->grad().defined()) p->mutable_grad().mul_(target / norms[i]);
  }
}

std::vector<std::string> NeuronSparkLmImpl::population_names() const {
  std::vector<std::string> r;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string p = "layer" + std::to_string(i) + ".";
    for (const char* n : {"block.in_plif", "block.hidden", "ffn.in_plif", "ffn.gate", "ffn.up"})
      r.push_back(p + n);
  }
  r.push_back("decode.out_plif");
  return r;
}

void NeuronSparkLmImpl::set_collect_stats(bool on) {
  collect_ = on;
  if (!on) return recorder_->stop();
  recorder_->start();
  stats_.assign(layers.size(), NeuronSparkLayerStats{});
  const auto names = population_names();
  for (size_t i = 0; i < layers.size(); ++i) {
    auto& s = stats_[i];
    size_t k = i * 5;
    for (SpikeSink* sink : {&s.in_block, &s.hidden, &s.in_ffn, &s.gate, &s.up})
      *sink = {recorder_.get(), names[k++]};
  }
  out_sink_ = {recorder_.get(), names.back()};
  tokens_ = 0;
}

std::vector<double> NeuronSparkLmImpl::expected_frames() const {
  std::vector<double> r;
  for (const auto& s : stats_) {
    r.push_back(s.tokens > 0 ? s.ek_block / s.tokens : 0.0);
    r.push_back(s.tokens > 0 ? s.ek_ffn / s.tokens : 0.0);
  }
  return r;
}

std::vector<SpikeStats> NeuronSparkLmImpl::spike_tallies() const {
  std::vector<SpikeStats> r;
  for (const auto& name : population_names()) {
    const SpikeStats* p = recorder_->find(name);
    r.push_back(p != nullptr ? *p : SpikeStats{});
  }
  return r;
}

}  // namespace spikessm

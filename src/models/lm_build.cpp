#include "spikessm/models/lm_build.h"

#include "spikessm/common/error.h"
#include "spikessm/models/neuronspark_lm.h"
#include "spikessm/models/build.h"
#include "spikessm/models/spiking_ssm_lm.h"

namespace spikessm {

namespace {

// model.* keys (d_model, d_state, n_layers, dropout, spiking, neuron, tau, v_th, ...).
LanguageModel build_spiking_ssm_lm(const Config& cfg, int64_t vocab) {
  auto bo = block_options_from(cfg);
  require(!bo.linear_mix(), "model.nir_block",
          "must be false for a language model (it applies to the classifier's blocks)");
  require(!bo.s4d().bidirectional(), "model.bidirectional",
          "must be false for a language model (causal)");
  require(bo.prenorm() && bo.norm() == NormKind::Layer, "model.norm",
          "a spiking_ssm_lm uses pre-LayerNorm (model.norm = \"layer\", model.prenorm = true)");
  require(!bo.spiking() || bo.neuron() == NeuronKind::Lif, "model.neuron",
          "a spiking_ssm_lm needs the iterative LIF (bptt or sltt): the SDN has no step mode");
  SpikingSsmLmOptions o(vocab, bo);
  o.n_layers(cfg.get_int("model.n_layers"));
  return std::make_shared<SpikingSsmLmImpl>(o);
}

}  // namespace

// neuronspark.* keys; vocab from the tokenizer.
NeuronSparkLmOptions neuronspark_options(const Config& cfg, int64_t vocab) {
  require(vocab >= 2, "neuronspark_lm",
          "vocabulary size must be at least 2, got " + std::to_string(vocab));
  NeuronSparkLmOptions o(vocab);
  o.d_model(cfg.get_int("neuronspark.d_model"))
      .n_state(cfg.get_int("neuronspark.n_state"))
      .frames(cfg.get_int("neuronspark.frames"))
      .n_layers(cfg.get_int("neuronspark.n_layers"))
      .d_ff(cfg.get_int("neuronspark.d_ff"))
      .spiking(cfg.get_bool("neuronspark.spiking"))
      .v_min(cfg.get_float("neuronspark.v_min"))
      .plif_tau(cfg.get_float("neuronspark.plif_tau"))
      .plif_v_th(cfg.get_float("neuronspark.plif_v_th"))
      .surrogate_alpha(cfg.get_float("neuronspark.surrogate_alpha"))
      .ponder_weight(cfg.get_float("neuronspark.ponder_weight"))
      .halt_bias(cfg.get_float("neuronspark.halt_bias"))
      .k_ref(cfg.get_int("neuronspark.k_ref"))
      .p_assumed(cfg.get_float("neuronspark.p_assumed"))
      .grad_comp_max(cfg.get_float("neuronspark.grad_comp_max"));
  require(o.plif_tau() > 1.0, "neuronspark.plif_tau", "must be > 1 (beta = 1 - 1/tau in (0, 1))");
  return o;
}

LanguageModel build_neuronspark_lm(const Config& cfg, int64_t vocab) {
  return std::make_shared<NeuronSparkLmImpl>(neuronspark_options(cfg, vocab));
}

bool is_language_model(const Config& cfg) {
  const std::string family = cfg.get_string("model.family");
  return family == "spiking_ssm_lm" || family == "neuronspark_lm";
}

LanguageModel build_language_model(const Config& cfg, int64_t vocab) {
  const std::string family = cfg.get_string("model.family");
  if (family == "spiking_ssm_lm") return build_spiking_ssm_lm(cfg, vocab);
  if (family == "neuronspark_lm") return build_neuronspark_lm(cfg, vocab);
  throw InputError("model.family: '" + family +
                   "' is not a language model (expected spiking_ssm_lm or neuronspark_lm)");
}

}  // namespace spikessm

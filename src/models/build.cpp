#include "spikessm/models/build.h"

#include "spikessm/common/error.h"
#include "spikessm/models/spikformer.h"

namespace spikessm {

LifOptions lif_options_from(const Config& cfg) {
  LifOptions o;
  o.tau = float(cfg.get_float("model.tau"));
  o.v_th = float(cfg.get_float("model.v_th"));
  o.reset = parse_enum<ResetMode>(cfg.get_string("model.reset"), "model.reset");
  const auto neuron = cfg.get_string("model.neuron");
  o.grad = neuron == "sltt" ? GradMode::SLTT : GradMode::BPTT;
  o.detach_reset = cfg.get_bool("model.detach_reset");
  o.surrogate = parse_enum<Surrogate>(cfg.get_string("model.surrogate"), "model.surrogate");
  o.alpha = float(cfg.get_float("model.surrogate_alpha"));
  return o;
}

NeuronKind neuron_from_string(const std::string& name) {
  if (name == "bptt" || name == "sltt") return NeuronKind::Lif;
  if (name == "sdn") return NeuronKind::Sdn;
  if (name == "sdn_scratch") return NeuronKind::SdnScratch;
  throw InputError("model.neuron: unknown neuron '" + name +
                   "' (expected bptt, sltt, sdn or sdn_scratch)");
}

SpikingSSMBlockOptions block_options_from(const Config& cfg) {
  const int64_t n = cfg.get_int("model.d_state");
  require(n % 2 == 0, "model.d_state",
          "must be even (N/2 complex modes), got " + std::to_string(n));
  require(cfg.get_float("model.dt_min") <= cfg.get_float("model.dt_max"), "model.dt_min",
          "must not exceed model.dt_max");
  SpikingSSMBlockOptions o(cfg.get_int("model.d_model"), n);
  o.s4d()
      .dt_min(cfg.get_float("model.dt_min"))
      .dt_max(cfg.get_float("model.dt_max"))
      .init(parse_enum<S4DInit>(cfg.get_string("model.init"), "model.init"))
      .trainable_b(cfg.get_bool("model.trainable_b"))
      .bidirectional(cfg.get_bool("model.bidirectional"))
      .use_fft(cfg.get_string("model.s4d_backend") == "fft");
  o.lif(lif_options_from(cfg))
      .norm(parse_enum<NormKind>(cfg.get_string("model.norm"), "model.norm"))
      .prenorm(cfg.get_bool("model.prenorm"))
      .dropout(cfg.get_float("model.dropout"))
      .learnable_vth(cfg.get_bool("model.learnable_vth"))
      .spiking(cfg.get_bool("model.spiking"))
      .neuron(neuron_from_string(cfg.get_string("model.neuron")))
      .sdn_weights(cfg.get_string("model.sdn_weights"))
      .mix_kernel(parse_enum<MixKernel>(cfg.get_string("model.mix_kernel"), "model.mix_kernel"));
  if (cfg.get_bool("model.nir_block")) {
    // Every part must be a NIR primitive (export/nir_model.h): checked here so that a
    // configuration that could not export never trains.
    const auto why = " (model.nir_block = true: every part must be a NIR primitive)";
    require(n == 2, "model.d_state", "must be 2, one real mode per channel" + std::string(why));
    require(!o.s4d().bidirectional(), "model.bidirectional", "must be false" + std::string(why));
    require(!o.s4d().trainable_b(), "model.trainable_b", "must be false" + std::string(why));
    require(o.norm() != NormKind::Layer, "model.norm",
            "must be \"batch\" or \"none\": LayerNorm has no NIR primitive" + std::string(why));
    require(o.spiking() && o.neuron() == NeuronKind::Lif, "model.neuron",
            "must be bptt or sltt with model.spiking = true (NIR's LIF)" + std::string(why));
    require(o.lif().reset == ResetMode::Hard, "model.reset",
            "must be \"hard\": NIR's LIF resets to v_reset" + std::string(why));
    o.s4d().real_modes(true).skip(false);
    o.linear_mix(true);
  }
  return o;
}

SequenceClassifier build_classifier(const Config& cfg, int64_t d_input, int64_t n_classes) {
  SequenceClassifierOptions o(d_input, n_classes, block_options_from(cfg));
  o.n_layers(cfg.get_int("model.n_layers"));
  return SequenceClassifier(o);
}

BinaryS4DBlockOptions binary_block_options_from(const Config& cfg) {
  const auto ssm = block_options_from(cfg);  // shares the S4D, norm and dropout keys
  BinaryS4DBlockOptions o(ssm.s4d().d_model(), ssm.s4d().d_state());
  o.s4d(ssm.s4d())
      .norm(ssm.norm())
      .prenorm(ssm.prenorm())
      .dropout(ssm.dropout())
      .activation(parse_enum<BinaryActivation>(cfg.get_string("model.binary_activation"),
                                               "model.binary_activation"))
      .surrogate(parse_enum<Surrogate>(cfg.get_string("model.surrogate"), "model.surrogate"))
      .alpha(cfg.get_float("model.surrogate_alpha"))
      .mixer(parse_enum<MixerKind>(cfg.get_string("model.mixer"), "model.mixer"))
      .gsu_gelu(cfg.get_bool("model.gsu_gelu"));
  return o;
}

SequenceClassifier build_classifier(const Config& cfg, const ModelInput& input) {
  SequenceClassifierOptions o(input.d_input, input.n_classes, block_options_from(cfg));
  o.n_layers(cfg.get_int("model.n_layers"));
  const bool tokens = input.kind != TaskInput::Signal;
  const std::string enc = cfg.get_string("model.encoder");
  require(enc == "auto" || (enc == "embedding") == tokens, "model.encoder",
          "'" + enc + "' does not fit dataset '" + cfg.get_string("data.dataset") +
              "' (its inputs are " +
              (tokens ? "token ids: use embedding" : "real-valued: use linear") + ")");
  o.encoder(tokens ? EncoderKind::Embedding : EncoderKind::Linear);
  o.retrieval(input.kind == TaskInput::TokenPairs);
  o.per_step(input.per_step);
  const std::string block = cfg.get_string("model.block");
  if (block == "binary_s4d") {
    o.block_kind(BlockKind::BinaryS4D);
    o.binary(binary_block_options_from(cfg));
  } else {
    require(cfg.get_string("model.mixer") == "glu", "model.mixer",
            "the spiking_ssm block mixes with glu; gsu needs model.block = \"binary_s4d\"");
  }
  return SequenceClassifier(o);
}

Classifier build_model(const Config& cfg, const ModelInput& input) {
  const std::string family = cfg.get_string("model.family");
  const bool image = input.kind == TaskInput::Image;
  if (family != "spikformer") {
    require(!image, "data.layout",
            "image inputs need model.family = \"spikformer\" (the classifier reads sequences)");
    require(!input.per_step || input.kind != TaskInput::TokenPairs, "data.dataset",
            "pairs of sequences have no per-step targets");
    return build_classifier(cfg, input).ptr();
  }
  require(image, "model.family", "spikformer needs image inputs: set data.layout = \"image\"");
  require(!input.per_step, "model.family", "spikformer reads images: it has no per-step output");
  const auto& x = input.image;  // (C, H, W)
  SpikformerOptions o(x[0], x[1], x[2], input.n_classes);
  const int64_t D = cfg.get_int("model.d_model"), heads = cfg.get_int("model.heads");
  require(
      D % 4 == 0 && D % heads == 0, "model.d_model",
      std::to_string(D) + " must be divisible by 4 and by model.heads = " + std::to_string(heads));
  require(x[1] % 4 == 0 && x[2] % 4 == 0, "data.dataset",
          "spikformer needs image sides divisible by 4, got " + std::to_string(x[1]) + "x" +
              std::to_string(x[2]));
  o.d_model(D)
      .heads(heads)
      .n_layers(cfg.get_int("model.n_layers"))
      .mlp_ratio(cfg.get_int("model.mlp_ratio"))
      .time_steps(cfg.get_int("model.time_steps"))
      .attention(parse_enum<AttentionKind>(cfg.get_string("model.attention"), "model.attention"))
      .dendrites(cfg.get_int("model.dendrites"));
  return Spikformer(o).ptr();
}

}  // namespace spikessm

#include "spikessm/models/build.h"

#include "spikessm/common/error.h"
#include "spikessm/data/task.h"
#include "spikessm/models/spikformer.h"

namespace spikessm {

LifOptions lif_options_from(const Config& cfg) {
  LifOptions o;
  o.tau = float(cfg.get_float("model.tau"));
  o.v_th = float(cfg.get_float("model.v_th"));
  o.reset = reset_from_string(cfg.get_string("model.reset"));
  const auto neuron = cfg.get_string("model.neuron");
  o.grad = neuron == "sltt" ? GradMode::SLTT : GradMode::BPTT;
  o.detach_reset = cfg.get_bool("model.detach_reset");
  o.surrogate = surrogate_from_string(cfg.get_string("model.surrogate"));
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
  require(n % 2 == 0, "model.d_state", "must be even (N/2 complex modes), got " + std::to_string(n));
  require(cfg.get_float("model.dt_min") <= cfg.get_float("model.dt_max"), "model.dt_min",
          "must not exceed model.dt_max");
  SpikingSSMBlockOptions o(cfg.get_int("model.d_model"), n);
  o.s4d()
      .dt_min(cfg.get_float("model.dt_min"))
      .dt_max(cfg.get_float("model.dt_max"))
      .init(s4d_init_from_string(cfg.get_string("model.init")))
      .trainable_b(cfg.get_bool("model.trainable_b"))
      .bidirectional(cfg.get_bool("model.bidirectional"))
      .use_fft(cfg.get_string("model.s4d_backend") == "fft");
  o.lif(lif_options_from(cfg))
      .norm(norm_from_string(cfg.get_string("model.norm")))
      .prenorm(cfg.get_bool("model.prenorm"))
      .dropout(cfg.get_float("model.dropout"))
      .learnable_vth(cfg.get_bool("model.learnable_vth"))
      .spiking(cfg.get_bool("model.spiking"))
      .neuron(neuron_from_string(cfg.get_string("model.neuron")))
      .sdn_weights(cfg.get_string("model.sdn_weights"))
      .mix_kernel(mix_kernel_from_string(cfg.get_string("model.mix_kernel")));
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
      .activation(binary_activation_from_string(cfg.get_string("model.binary_activation")))
      .surrogate(surrogate_from_string(cfg.get_string("model.surrogate")))
      .alpha(cfg.get_float("model.surrogate_alpha"))
      .mixer(mixer_from_string(cfg.get_string("model.mixer")))
      .gsu_gelu(cfg.get_bool("model.gsu_gelu"));
  return o;
}

SequenceClassifier build_classifier(const Config& cfg, const Task& task) {
  SequenceClassifierOptions o(task.d_input, task.n_classes, block_options_from(cfg));
  o.n_layers(cfg.get_int("model.n_layers"));
  const bool tokens = task.input != TaskInput::Signal;
  const std::string enc = cfg.get_string("model.encoder");
  require(enc == "auto" || (enc == "embedding") == tokens, "model.encoder",
          "'" + enc + "' does not fit dataset '" + cfg.get_string("data.dataset") + "' (its inputs are " +
              (tokens ? "token ids: use embedding" : "real-valued: use linear") + ")");
  o.encoder(tokens ? EncoderKind::Embedding : EncoderKind::Linear);
  o.retrieval(task.input == TaskInput::TokenPairs);
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

Classifier build_model(const Config& cfg, const Task& task) {
  const std::string family = cfg.get_string("model.family");
  const bool image = task.input == TaskInput::Image;
  if (family != "spikformer") {
    require(!image, "data.layout", "image inputs need model.family = \"spikformer\" (the classifier reads sequences)");
    return build_classifier(cfg, task).ptr();
  }
  require(image, "model.family", "spikformer needs image inputs: set data.layout = \"image\"");
  const auto& x = task.train_x;
  SpikformerOptions o(x.size(1), x.size(2), x.size(3), task.n_classes);
  const int64_t D = cfg.get_int("model.d_model"), heads = cfg.get_int("model.heads");
  require(D % 4 == 0 && D % heads == 0, "model.d_model",
          std::to_string(D) + " must be divisible by 4 and by model.heads = " + std::to_string(heads));
  require(x.size(2) % 4 == 0 && x.size(3) % 4 == 0, "data.dataset",
          "spikformer needs image sides divisible by 4, got " + std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)));
  o.d_model(D)
      .heads(heads)
      .n_layers(cfg.get_int("model.n_layers"))
      .mlp_ratio(cfg.get_int("model.mlp_ratio"))
      .time_steps(cfg.get_int("model.time_steps"))
      .attention(attention_from_string(cfg.get_string("model.attention")))
      .dendrites(cfg.get_int("model.dendrites"));
  return Spikformer(o).ptr();
}

}  // namespace spikessm

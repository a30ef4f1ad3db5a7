#include "spikessm/io/config.h"

namespace spikessm {

// Defaults are the quickstart model; configs/ holds the paper settings.
const std::vector<ConfigKey>& config_schema() {
  using S = std::string;
  static const std::vector<ConfigKey> schema = {
      {"data.dataset", S("fashion-mnist"), 0, 0, {"fashion-mnist", "mnist", "listops", "pathfinder32", "pathx", "cifar10-gray", "imdb", "aan"}, "task (IDX image sets, or the LRA tasks)"},
      {"data.dir", S(""), 0, 0, {}, "directory of the IDX files (empty: the dataset's default)"},
      {"data.permute", false, 0, 0, {}, "fixed seeded pixel permutation (psMNIST)"},
      {"data.permutation_seed", int64_t(0), 0, 1e15, {}, "seed of the pixel permutation"},
      {"data.pool", int64_t(1), 1, 4, {}, "average pooling factor (2: 28x28 -> L = 196)"},
      {"data.train_limit", int64_t(0), 0, 1e9, {}, "use the first n training images (0: all)"},
      {"data.test_limit", int64_t(0), 0, 1e9, {}, "use the first n test images (0: all)"},

      {"data.max_length", int64_t(0), 0, 1e7, {}, "token tasks: truncate to this length (0: listops 2048, imdb 4096, aan 4000)"},
      {"data.split_seed", int64_t(42), 0, 1e15, {}, "seed of the train/val/test split of pathfinder and cifar10-gray"},
      {"data.read_limit", int64_t(0), 0, 1e9, {}, "pathfinder: read only the first n images before splitting (0: all)"},

      {"model.n_layers", int64_t(2), 1, 64, {}, "number of SpikingSSM blocks"},
      {"model.d_model", int64_t(64), 1, 8192, {}, "channels H"},
      {"model.d_state", int64_t(64), 2, 4096, {}, "state size N (even)"},
      {"model.bidirectional", false, 0, 0, {}, "bidirectional S4D kernel"},
      {"model.s4d_backend", S("scan"), 0, 0, {"scan", "fft"}, "fused recurrence scan, or FFT convolution (large N)"},
      {"model.init", S("lin"), 0, 0, {"lin", "inv"}, "S4D-Lin or S4D-Inv"},
      {"model.trainable_b", false, 0, 0, {}, "learn B (else fixed to 1)"},
      {"model.dt_min", 1e-3, 1e-6, 10.0, {}, "smallest initial step"},
      {"model.dt_max", 1e-1, 1e-6, 10.0, {}, "largest initial step"},
      {"model.norm", S("layer"), 0, 0, {"layer", "batch", "none"}, "normalisation"},
      {"model.prenorm", true, 0, 0, {}, "norm before the block (else after the residual)"},
      {"model.dropout", 0.0, 0.0, 0.99, {}, "dropout tied across time"},
      {"model.spiking", true, 0, 0, {}, "false: the non-spiking twin (GELU instead of LIF)"},
      {"model.neuron", S("bptt"), 0, 0, {"bptt", "sltt", "sdn", "sdn_scratch"},
       "iterative LIF (BPTT or SLTT gradient), frozen pretrained SDN, or SDN trained with the task"},
      {"model.sdn_weights", S(""), 0, 0, {}, "SDN weights JSON for neuron = sdn (empty: built in, tau 0.125)"},
      {"model.tau", 0.125, 1e-6, 1.0, {}, "LIF decay"},
      {"model.v_th", 1.0, 1e-6, 1e6, {}, "LIF threshold"},
      {"model.reset", S("hard"), 0, 0, {"hard", "soft"}, "reset to 0 or subtract v_th"},
      {"model.detach_reset", true, 0, 0, {}, "no gradient through the reset"},
      {"model.surrogate", S("triangle"), 0, 0, {"triangle", "sigmoid", "atan", "rectangle", "fast_sigmoid"}, "surrogate"},
      {"model.surrogate_alpha", 4.0, 1e-3, 1e3, {}, "sharpness of sigmoid/atan/rectangle/fast_sigmoid"},
      {"model.learnable_vth", true, 0, 0, {}, "per-channel learnable threshold"},
      {"model.mix_kernel", S("auto"), 0, 0, {"auto", "dense", "sparse"}, "inference mixing layer: event-driven when faster (auto), or forced"},

      {"model.block", S("spiking_ssm"), 0, 0, {"spiking_ssm", "binary_s4d"}, "SpikingSSM (LIF) or Binary S4D (stateless Heaviside) blocks"},
      {"model.mixer", S("glu"), 0, 0, {"glu", "gsu"}, "feature mixing: GLU, or the gated spiking unit (binary_s4d)"},
      {"model.encoder", S("auto"), 0, 0, {"auto", "linear", "embedding"}, "input encoder (auto: embedding for token tasks)"},
      {"model.binary_activation", S("heaviside"), 0, 0, {"heaviside", "gelu"}, "binary_s4d: spike H(y), or GELU (the non-binary '+ GSU & GeLU' reading)"},
      {"model.gsu_gelu", false, 0, 0, {}, "GELU on the GSU output"},
      {"model.family", S("classifier"), 0, 0, {"classifier", "spiking_ssm_lm", "neuronspark_lm"}, "what train builds: a sequence classifier or a language model"},

      {"train.epochs", int64_t(1), 1, 100000, {}, "passes over the training set"},
      {"train.max_steps", int64_t(0), 0, 1e12, {}, "stop after this many steps (0: no limit)"},
      {"train.max_minutes", 0.0, 0.0, 1e7, {}, "stop training after this many minutes (0: no limit)"},
      {"train.batch_size", int64_t(32), 1, 65536, {}, "training batch"},
      {"train.eval_batch_size", int64_t(200), 1, 65536, {}, "evaluation batch"},
      {"train.lr", 0.01, 0.0, 10.0, {}, "peak learning rate"},
      {"train.weight_decay", 0.01, 0.0, 10.0, {}, "AdamW weight decay (not on SSM parameters)"},
      {"train.ssm_lr", 1e-3, 0.0, 10.0, {}, "cap of the SSM parameters' learning rate"},
      {"train.warmup_steps", int64_t(0), 0, 1e12, {}, "linear warm-up steps"},
      {"train.grad_clip", 0.0, 0.0, 1e6, {}, "max gradient norm (0: off)"},
      {"train.seed", int64_t(1111), 0, 1e15, {}, "seed of init, data order and dropout"},
      {"train.threads", int64_t(0), 0, 1024, {}, "intra-op threads (0: all cores)"},
      {"train.out_dir", S("runs/quickstart"), 0, 0, {}, "checkpoints and metrics go here"},
      {"train.checkpoint_every", int64_t(500), 0, 1e12, {}, "steps between checkpoints (0: epoch end only)"},
      {"train.log_every", int64_t(50), 1, 1e12, {}, "steps between metric lines"},
      {"train.max_bad_steps", int64_t(10), 1, 1e9, {}, "stop after this many consecutive steps with a non-finite loss or gradient (each is skipped)"},
      {"train.inject_nonfinite", S(""), 0, 0, {}, "test hook: NaN loss/gradient at steps, e.g. \"loss:3-5,grad:7@1\""},
      {"train.dist_timeout_s", 60.0, 1.0, 86400.0, {}, "distributed: rendezvous and collective timeout (a dead rank stops the others)"},

      {"lm.data_dir", S(""), 0, 0, {}, "LM corpus: a WikiText/PTB directory, a raw text dir (input.txt) or file; empty: the KJV Bible from Debian"},
      {"lm.tokenizer", S("byte"), 0, 0, {"byte", "word", "bpe"}, "byte level, word level (<unk>, <eos> per line) or sentencepiece BPE"},
      {"lm.bpe_vocab", int64_t(4096), 300, 1000000, {}, "BPE vocabulary size (lm.tokenizer = bpe)"},
      {"lm.context", int64_t(256), 1, 1e7, {}, "training context length L (tokens per window)"},
      {"lm.eval_context", int64_t(0), 0, 1e7, {}, "evaluation window length (0: lm.context)"},
      {"lm.eval_every", int64_t(0), 0, 1e12, {}, "steps between validation evaluations (0: only at the end)"},
      {"lm.valid_max_chars", int64_t(0), 0, 1e12, {}, "periodic validation reads at most this many characters of the valid split (0: all)"},
  };
  return schema;
}

}  // namespace spikessm

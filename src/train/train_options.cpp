#include "spikessm/train/train_options.h"

#include "spikessm/common/error.h"

namespace spikessm {
namespace {

LoopOptions loop_options(const Config& cfg) {
  LoopOptions o;
  o.out_dir = cfg.get_string("train.out_dir");
  o.seed = uint64_t(cfg.get_int("train.seed"));
  o.batch = cfg.get_int("train.batch_size");
  o.epochs = cfg.get_int("train.epochs");
  o.max_steps = cfg.get_int("train.max_steps");
  o.warmup = cfg.get_int("train.warmup_steps");
  o.log_every = cfg.get_int("train.log_every");
  o.checkpoint_every = cfg.get_int("train.checkpoint_every");
  o.max_bad_steps = cfg.get_int("train.max_bad_steps");
  o.grad_clip = cfg.get_float("train.grad_clip");
  o.max_seconds = cfg.get_float("train.max_minutes") * 60.0;
  o.dist_timeout_s = cfg.get_float("train.dist_timeout_s");
  o.anneal_to_budget = cfg.get_bool("train.anneal_to_budget");
  o.inject_nonfinite = cfg.get_string("train.inject_nonfinite");
  return o;
}

// lm.eval_context tokens (0: lm.context) moved by lm.eval_stride (0: the window length).
LmEvalWindows lm_eval_windows(const Config& cfg) {
  LmEvalWindows w;
  w.context = cfg.get_int("lm.eval_context") > 0 ? cfg.get_int("lm.eval_context")
                                                 : cfg.get_int("lm.context");
  w.stride = cfg.get_int("lm.eval_stride") > 0 ? cfg.get_int("lm.eval_stride") : w.context;
  require(w.stride <= w.context, "lm.eval_stride",
          std::to_string(w.stride) + " exceeds the evaluation window of " +
              std::to_string(w.context) + " tokens (expected 1.." + std::to_string(w.context) +
              ", or 0 for non-overlapping windows)");
  return w;
}

}  // namespace

TrainOptions train_options(const Config& cfg) {
  TrainOptions t;
  t.loop = loop_options(cfg);
  t.optimizer.lr = cfg.get_float("train.lr");
  t.optimizer.weight_decay = cfg.get_float("train.weight_decay");
  t.optimizer.ssm_lr = cfg.get_float("train.ssm_lr");
  t.optimizer.neuron_lr_mult = cfg.get_float("train.neuron_lr_mult");
  t.eval_batch = cfg.get_int("train.eval_batch_size");
  t.lm.context = cfg.get_int("lm.context");
  t.lm.eval_every = cfg.get_int("lm.eval_every");
  t.lm.valid_max_chars = cfg.get_int("lm.valid_max_chars");
  t.lm.windows = lm_eval_windows(cfg);
  return t;
}

}  // namespace spikessm

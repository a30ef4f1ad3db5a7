#pragma once
// The training area's options, read from the config (train.* and lm.* keys) in one place,
// train_options(); everything below it in train/ takes these structs, never key strings.
#include <cstdint>
#include <string>

#include "spikessm/common/config.h"

namespace spikessm {

// AdamW's parameter groups (train/optimizer.h).
struct OptimizerOptions {
  double lr = 0, weight_decay = 0;
  double ssm_lr = 0;          // the S4D parameters' peak learning rate (capped at lr)
  double neuron_lr_mult = 1;  // != 1: neuron dynamics get lr x mult and no weight decay
};

// The loop's steps, schedule, budget, guard and files (train/trainer.cpp).
struct LoopOptions {
  std::string out_dir;
  uint64_t seed = 0;
  int64_t batch = 0, epochs = 0, max_steps = 0, warmup = 0, log_every = 0, checkpoint_every = 0,
          max_bad_steps = 0;
  double grad_clip = 0, max_seconds = 0, dist_timeout_s = 0;
  bool anneal_to_budget = false;
  std::string inject_nonfinite;
};

// The evaluation windows of a language model: `context` tokens moved by `stride`.
struct LmEvalWindows {
  int64_t context = 0, stride = 0;
};

// A language model's training windows and monitoring.
struct LmTrainOptions {
  int64_t context = 0;          // tokens per training window
  int64_t eval_every = 0;       // steps between validation evaluations
  int64_t valid_max_chars = 0;  // validation text prefix monitored during training (0: all)
  LmEvalWindows windows;
};

struct TrainOptions {
  LoopOptions loop;
  OptimizerOptions optimizer;
  int64_t eval_batch = 0;  // samples or windows per evaluation batch
  LmTrainOptions lm;
};

// InputError when lm.eval_stride exceeds the evaluation window.
TrainOptions train_options(const Config& cfg);

// Where a run keeps its files.
inline std::string checkpoint_path(const std::string& out_dir) {
  return out_dir + "/checkpoint.pt";
}
inline std::string metrics_path(const std::string& out_dir) { return out_dir + "/metrics.jsonl"; }

}  // namespace spikessm

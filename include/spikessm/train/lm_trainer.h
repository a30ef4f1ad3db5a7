#pragma once
// Training of a language model (model.family = spiking_ssm_lm | neuronspark_lm) from a
// Config, through the LanguageModel interface only. Shares the optimizer groups, schedule,
// checksummed checkpoints, progress bar and numerical guard with the classifier trainer.
// Files in train.out_dir: checkpoint.pt, config.toml, metrics.jsonl, tokenizer.json (+
// tokenizer.model for BPE), lm_stats.json (the final test evaluation).
#include <string>

#include "spikessm/io/config.h"
#include "spikessm/train/lm_eval.h"
#include "spikessm/train/trainer.h"

namespace spikessm {

struct LmTrainResult {
  LmEvalResult test;
  int64_t steps = 0;
  int64_t parameters = 0;
  double train_seconds = 0;
  std::string corpus, tokenizer;
};

// Single process (run.dist must be one rank).
LmTrainResult run_lm_training(const Config& cfg, const TrainRunOptions& run);

std::string lm_stats_path(const Config& cfg);

// Prints the evaluation as text (perplexities, bits per byte, per-layer table) to stdout.
void print_lm_eval(const LmEvalResult& r, const std::string& split);

}  // namespace spikessm

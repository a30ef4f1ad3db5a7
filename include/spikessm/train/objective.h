#pragma once
// What the one training loop (train/trainer.h) needs of a model family: its model, how a global
// step's batch becomes this rank's loss, what fixes the data order (resume must match it),
// when and how to monitor, and the final test evaluation. Two implementations:
// classifier_objective.cpp (sequence and vision classifiers) and lm_objective.cpp (language
// models). The loop owns everything else: optimizer, schedule, data parallelism, numerical
// guard, time budget, checkpoints, resume, metrics and the progress bar.
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "spikessm/common/config.h"
#include "spikessm/train/distributed.h"
#include "spikessm/train/train_options.h"

namespace spikessm {

struct TrainResult;

// One rank's share of a global step.
struct StepLoss {
  torch::Tensor loss;  // scalar: the mean over this rank's samples or tokens (+ auxiliary losses)
  double weight = 1;   // its weight in the window average (samples; 1/world for token streams)
  double correct = 0;  // correct predictions, for the window accuracy (classifiers)
};

class Objective {
 public:
  virtual ~Objective() = default;
  virtual torch::nn::Module& model() = 0;

  // Optimizer steps in one epoch (the last incomplete global batch is dropped), and the
  // samples or tokens one global step consumes (the progress bar's throughput).
  virtual int64_t steps_per_epoch() const = 0;
  virtual int64_t units_per_step() const = 0;
  virtual bool reports_accuracy() const = 0;
  virtual void print_plan(int64_t total_steps, int world) const = 0;  // stderr: data, model, steps

  // Selects this rank's share of global step `step` (data order depends only on the seed and
  // the step: exact resume); then the loop seeds dropout and calls loss().
  virtual void select_batch(int64_t step, int rank, int world) = 0;
  // The seed of the dropout masks of a step (rank 0's; the loop mixes other ranks in).
  virtual uint64_t dropout_seed(int64_t step) const = 0;
  virtual StepLoss loss() = 0;
  // After backward, before the gradients are averaged and clipped (NeuronSpark's
  // natural-gradient compensation); nothing by default.
  virtual void after_backward() {}

  // What fixes the data order at `step`, saved in checkpoints; a resumed run must match every
  // key named by resume_keys() (the others are informative).
  virtual nlohmann::json data_order(int64_t step, int world) const = 0;
  virtual std::vector<std::string> resume_keys() const = 0;
  // More facts a checkpoint keeps (a classifier's ModelInput: rebuilt without its data).
  virtual void add_checkpoint_state(nlohmann::json& state) const {}

  virtual bool checkpoint_at_epoch_end() const = 0;
  // Whether to evaluate the monitored split after `done` steps; monitor() evaluates it (every
  // rank takes part), prints one line on rank 0 and returns the metrics line.
  virtual bool monitor_due(int64_t done, int64_t total) const = 0;
  virtual nlohmann::json monitor(int64_t done, Distributed& dist) = 0;

  // A new run (not a resumed one) starts in out_dir (language models save their tokenizer).
  virtual void on_new_run(const std::string& out_dir) {}
  // Rank 0, after training: the test evaluation with spike statistics; fills result (and its
  // report text), writes the statistics file and returns the final metrics line.
  virtual nlohmann::json final_test(int64_t total_steps, TrainResult& result) = 0;
};

// The objective of cfg's model family (model.family), with its data loaded and model built.
// A resumed language model reuses the tokenizer saved in its run directory.
std::unique_ptr<Objective> make_objective(const Config& cfg, const TrainOptions& opts,
                                          bool resuming);

}  // namespace spikessm

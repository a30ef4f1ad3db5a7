#pragma once
// The one training loop, for every model family (sequence classifiers, vision classifiers,
// language models; train/objective.h is what it asks of each), and classifier evaluation.
// Files in train.out_dir: checkpoint.pt (+ checkpoint.prev.pt), config.toml, metrics.jsonl,
// the final statistics (spike_stats.json or lm_stats.json), and a language model's tokenizer.
// A new run writes them beside train.out_dir and takes its place with its first checkpoint
// (src/train/run_dir.h).
#include <torch/torch.h>

#include <string>

#include "spikessm/common/config.h"
#include "spikessm/metrics/energy.h"
#include "spikessm/models/classifier.h"
#include "spikessm/models/sequence_classifier.h"
#include "spikessm/train/distributed.h"
#include "spikessm/train/lm_eval.h"

namespace spikessm {

struct EvalResult {
  double loss = 0, accuracy = 0;  // regression (float y (N, K)): loss is the MSE, accuracy 0
  bool regression = false;
  double mae = 0, r2 = 0;  // regression: mean absolute error, R^2 (pooled over the K values)
  int64_t samples = 0;
  bool per_step = false;  // targets a step (y (N, L) ids or (N, L, K) values): accuracy, loss
                          // and the regression numbers are over the valid steps
  int64_t units = 0;      // predictions scored: samples, or valid steps when per_step
  OpsReport ops;          // filled when statistics were collected
  torch::Tensor logits;   // (N, n_classes), (N, L, n_classes) per step (NaN at steps the
                          // batch cut off), when keep_logits (`spikessm eval --logits`)
};

// "test accuracy 0.9375 (loss 0.2100, 64 samples)\n", "test per-step accuracy ...", or the
// regression numbers: the line that train and eval print.
std::string eval_headline(const EvalResult& r);

// x: (N, L, d) -> accuracy and mean cross-entropy (y (N,) class ids), or MSE, MAE and R^2
// (y (N, K) float regression targets); with_stats gathers spike statistics.
// x: (N, C, H, W) images for image models. Works for any Classifier.
EvalResult evaluate(ClassifierImpl& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress,
                    bool keep_logits = false);
EvalResult evaluate(SequenceClassifier& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress,
                    bool keep_logits = false);

struct TrainRunOptions {
  bool resume = false;     // continue from <out_dir>/checkpoint.pt if present
  bool overwrite = false;  // allow replacing an existing run in out_dir
  DistOptions dist;        // rank / world size / master of a data-parallel run
};

struct TrainResult {
  int64_t steps = 0;
  double train_seconds = 0;
  int64_t parameters = 0;
  EvalResult test;       // classifiers: the test split, with spike statistics
  LmEvalResult lm_test;  // language models: the test text, with spike statistics
  std::string report;    // the human-readable summary `spikessm train` prints (rank 0)
};

// Trains cfg's model (any family) and evaluates it on the test split (rank 0).
TrainResult run_training(const Config& cfg, const TrainRunOptions& run);

}  // namespace spikessm

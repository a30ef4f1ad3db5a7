#pragma once
// Training and evaluation of the sequence classifier from a Config.
#include <torch/torch.h>

#include <string>

#include "spikessm/io/config.h"
#include "spikessm/metrics/energy.h"
#include "spikessm/models/classifier.h"
#include "spikessm/models/sequence_classifier.h"
#include "spikessm/train/distributed.h"

namespace spikessm {

struct EvalResult {
  double loss = 0, accuracy = 0;
  int64_t samples = 0;
  OpsReport ops;  // filled when statistics were collected
};

// x: (N, L, d) -> accuracy and mean cross-entropy; with_stats gathers spike statistics.
// x: (N, C, H, W) images for image models. Works for any Classifier.
EvalResult evaluate(ClassifierImpl& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress);
EvalResult evaluate(SequenceClassifier& model, const torch::Tensor& x, const torch::Tensor& y,
                    int64_t batch_size, bool with_stats, bool show_progress);

struct TrainRunOptions {
  bool resume = false;     // continue from <out_dir>/checkpoint.pt if present
  bool overwrite = false;  // allow replacing an existing run in out_dir
  DistOptions dist;        // rank / world size / master of a data-parallel run
};

struct TrainResult {
  EvalResult test;
  int64_t steps = 0;
  double train_seconds = 0;
};

TrainResult run_training(const Config& cfg, const TrainRunOptions& run);

// Where a run keeps its files.
std::string checkpoint_path(const Config& cfg);
std::string metrics_path(const Config& cfg);
std::string stats_path(const Config& cfg);

// Writes text to path atomically (temp file + rename).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace spikessm

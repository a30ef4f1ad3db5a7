#pragma once
// The sequential image task from a Config: IDX images -> (N, L, 1) pixel sequences,
// standardised with the training set's mean and std.
#include <torch/torch.h>

#include "spikessm/common/config.h"
#include "spikessm/data/data_options.h"
#include "spikessm/data/task_splits.h"

namespace spikessm {

struct SeqImageTask {
  torch::Tensor train_x, train_y;  // (N, L, 1) float32, (N,) int64; undefined: TestOnly
  torch::Tensor test_x, test_y;
  int64_t L = 0, d_input = 1, n_classes = 10;
  TrainSplitStats stats;    // the training split's mean, std and image size
  std::string description;  // e.g. "fashion-mnist, L = 784, 60000 train / 10000 test"
};

std::string default_data_dir(const std::string& dataset);
// TestOnly with `stats` (from a checkpoint) reads only the test files; without, the training
// files too, for their statistics.
SeqImageTask load_seq_image_task(const DataOptions& o, TaskSplits splits = TaskSplits::All,
                                 const TrainSplitStats& stats = {});

}  // namespace spikessm

#pragma once
// The sequential image task from a Config: IDX images -> (N, L, 1) pixel sequences,
// standardised with the training set's mean and std.
#include <torch/torch.h>

#include "spikessm/common/config.h"

namespace spikessm {

struct SeqImageTask {
  torch::Tensor train_x, train_y;  // (N, L, 1) float32, (N,) int64
  torch::Tensor test_x, test_y;
  int64_t L = 0, d_input = 1, n_classes = 10;
  std::string description;  // e.g. "fashion-mnist, L = 784, 60000 train / 10000 test"
};

std::string default_data_dir(const std::string& dataset);
SeqImageTask load_seq_image_task(const Config& cfg);

}  // namespace spikessm

#pragma once
// Classification tasks by name (config data.dataset), each as in-memory tensors:
//   signal tasks  x: (N, L, d) float32           fashion-mnist, mnist, cifar10-gray,
//                                                  pathfinder32, pathx
//   token tasks   x: (N, L) int64, 0 = <pad>     listops, imdb
//   pair tasks    x: (N, 2, L) int64, 0 = <pad>  aan (retrieval: two documents a sample)
//   image tasks   x: (N, C, H, W) float32         data.layout = "image": fashion-mnist, mnist,
//                                                  cifar10 (colour; data/image_task.h)
// Padding is always at the end of a sequence, so a sequence's valid length is its count of
// non-zero ids. Validation splits are empty where the task has none (IDX sets, IMDB).
#include <torch/torch.h>

#include <string>

#include "spikessm/common/config.h"
#include "spikessm/data/data_options.h"
#include "spikessm/data/task_splits.h"
#include "spikessm/models/model_input.h"

namespace spikessm {

struct Task {
  // train and val are undefined when only the test split was asked for (TaskSplits::TestOnly).
  torch::Tensor train_x, train_y, val_x, val_y, test_x, test_y;
  TaskInput input = TaskInput::Signal;
  int64_t L = 0;
  int64_t d_input = 1;  // features per step (signal) or vocabulary size (tokens)
  int64_t n_classes = 10;
  std::string description;
  // Training-time augmentation of image tasks (trainer, per step, seeded): random crop after
  // zero padding by crop_pad pixels, and horizontal flip with probability 1/2.
  int64_t crop_pad = 0;
  bool hflip = false;
  // What the test inputs of an image set take from the training split (empty for the others);
  // checkpoints keep it so that evaluation reads no training file.
  TrainSplitStats stats;
  // A training input too large to copy (a memory-mapped .npy of arrays) stays as read and is
  // standardised a batch at a time: (x - batch_shift) / batch_scale, each (1, 1, C);
  // undefined when the splits hold standardised values already.
  torch::Tensor batch_shift, batch_scale;

  // The shape facts the model builder needs (models/model_input.h).
  ModelInput model_input() const;
};

// `stats`: the training split's statistics saved with a model, used by TestOnly (image sets
// then read no training file; without them they do, for the statistics).
Task load_task(const DataOptions& o, TaskSplits splits = TaskSplits::All,
               const TrainSplitStats& stats = {});
Task load_task(const Config& cfg, TaskSplits splits = TaskSplits::All,
               const TrainSplitStats& stats = {});  // data_options(cfg)

// Seeded permutation of n items (the train/val/test splits of generated and IDX-free sets).
torch::Tensor seeded_permutation(int64_t n, uint64_t seed);

}  // namespace spikessm

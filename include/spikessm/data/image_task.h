#pragma once
// Image classification tasks as (N, C, H, W) float tensors (data.layout = "image"), for the
// spiking vision transformer:
//   fashion-mnist, mnist  IDX files (Debian's dataset-fashion-mnist by default), (N, 1, 28, 28)
//   cifar10               ../shared/data/cifar10-jpeg/cifar10-jpeg.tar in colour, (N, 3, 32, 32):
//                         a lossy JPEG copy, NOT bit-exact CIFAR-10; random crop (pad 4) and
//                         horizontal flip while training
// Pixels are standardised per channel with the training split's mean and std.
#include <torch/torch.h>

#include <cstdint>

#include "spikessm/data/task.h"
#include "spikessm/common/config.h"

namespace spikessm {

// TestOnly with `stats` (from a checkpoint) reads only the test IDX files.
Task load_image_task(const DataOptions& o, TaskSplits splits = TaskSplits::All,
                     const TrainSplitStats& stats = {});

// Seeded augmentation of a training batch: zero-pad by `pad`, crop back to (H, W) at a random
// offset, and flip horizontally with probability 1/2 (when flip). The same seed gives the same
// result. x: (B, C, H, W) -> (B, C, H, W)
torch::Tensor augment_images(const torch::Tensor& x, int64_t pad, bool flip, uint64_t seed);

}  // namespace spikessm

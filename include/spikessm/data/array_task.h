#pragma once
// The user's own sequences (data.dataset = "arrays"), from .npz archives, folders of .npy
// files, HDF5 files (.h5, .hdf5) or .ts files (data/npy.h, data/hdf5_arrays.h,
// data/ts_format.h):
//   x: (N, L) or (N, L, C) floats -> (N, L, C) float32 signals; (N, L) integers are token
//      ids (shifted by one: 0 is the padding id of the embedding encoder);
//   y: (N,) class labels, integers or (.ts) strings, mapped to 0..K-1 in sorted order; or
//      regression targets: floats of shape (N, K), or (N,) with a fraction (.ts
//      @targetLabel), trained with the mean squared error; or per step: (N, L) integer labels
//      (a class a step) or (N, L, K) float targets (K values a step);
//   lengths: optional (N,) valid steps of each row (an array `lengths`, or the rows of an
//      unequal-length .ts). Steps after a row's length are padding: NaN in signals, the
//      padding id 0 in token ids. The sequence classifier cuts a batch to its longest row and
//      averages over the valid steps only (models/sequence_classifier.h), so a row's logits
//      do not depend on the rows it is batched with (unidirectional models).
#include <string>
#include <vector>

#include "spikessm/data/task.h"

namespace spikessm {

// How a path holds arrays: a folder of .npy files, or a file by its name's ending.
enum class ArrayFile { Folder, Npz, Npy, Hdf5, Ts, Unknown };
ArrayFile array_file_kind(const std::string& path);

// One split as read from its file, before labels are mapped.
struct ArraySplit {
  torch::Tensor x;                  // (N, L, C) float32, or (N, L) int64 ids; padded
  std::vector<std::string> labels;  // per row, as text ("3", "walking"); or
  torch::Tensor targets;            // (N, K) float32 regression values (labels empty), or
                                    // (N, L, K) per step, NaN at the padding steps
  torch::Tensor step_labels;        // (N, L) int64 per-step labels as given (labels empty)
  torch::Tensor lengths;            // (N,) int64 valid steps; undefined when no row is short
  std::string source;
  bool per_step() const {
    return step_labels.defined() || (targets.defined() && targets.dim() == 3);
  }
};
ArraySplit read_array_split(const std::string& path);

// Training reads data.train (and data.val, data.test); evaluation of a checkpoint (TestOnly
// with the statistics it saved) reads only data.test. `saved` empty: every split is read.
Task load_array_task(const DataOptions& o, TaskSplits splits = TaskSplits::All,
                     const TrainSplitStats& saved = {});

}  // namespace spikessm

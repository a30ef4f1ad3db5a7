#pragma once
// The data area's options (data.* keys), read from the config in one place, data_options();
// the task loaders below it take this struct, never key strings.
#include <cstdint>
#include <string>

#include "spikessm/common/config.h"
#include "spikessm/data/audio_features.h"

namespace spikessm {

struct DataOptions {
  std::string dataset;                      // a choice of the schema's data.dataset
  bool image_layout = false;                // (N, C, H, W) images instead of pixel sequences
  std::string dir;                          // the data's folder or file ("": the dataset's default)
  int64_t train_limit = 0, test_limit = 0;  // the first n samples of a split (0: all)
  int64_t max_length = 0;   // token tasks and fsdd: truncation (0: the task's default)
  int64_t read_limit = 0;   // pathfinder: images read before splitting (0: all)
  uint64_t split_seed = 0;  // seeded splits and row orders
  int64_t pool = 1;         // average pooling of pixel sequences and audio
  bool permute = false;     // a fixed seeded pixel permutation (psMNIST)
  uint64_t permutation_seed = 0;
  std::string train_file, val_file, test_file;  // arrays: the user's files
  bool standardize = true;    // arrays: per-channel, training statistics; fsdd wave: per recording
  AudioFeatureOptions audio;  // fsdd: the front end (rate, pool, logmel framing)
  int64_t shift = 0;  // fsdd: up to this many samples of silence before a training recording
};

DataOptions data_options(const Config& cfg);

}  // namespace spikessm

#pragma once
// The Free Spoken Digit Dataset (../shared/data/fsdd/recordings.tar): mono 8 kHz 16-bit WAV
// recordings named recordings/{digit}_{speaker}_{index}.wav. The official split puts
// index 0-4 in the test set; we hold out index 5-9 of the rest as validation (see fsdd_task).
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace spikessm {

constexpr int kFsddRate = 8000;
// data.max_length = 0: recordings are cut or padded to 8192 samples (1.024 s).
constexpr int64_t kFsddMaxSamples = 8192;

struct FsddRecording {
  std::vector<float> samples;  // (frames,) in [-1, 1)
  int64_t digit = 0, index = 0;
  std::string speaker;
};

// Every .wav member of the tar, in archive order; with keep_index, only the recordings whose
// index it accepts are decoded and returned. InputError when a name does not follow
// {digit}_{speaker}_{index}.wav, a kept file is not mono WAV at 8 kHz, or none is kept.
std::vector<FsddRecording> read_fsdd_tar(const std::string& tar_path,
                                         const std::function<bool(int64_t)>& keep_index = {});

// One recording -> (L, 1) float32 input: the first max_samples samples, averaged over
// non-overlapping windows of `pool` samples, scaled to zero mean and unit variance over the
// recording (standardize; a statistic of the whole recording, so not streamable), then
// zero-padded at the end to L = max_samples / pool.
torch::Tensor fsdd_signal(const std::vector<float>& samples, int64_t max_samples, int64_t pool,
                          bool standardize = true);

// The streaming twin of the pooling above: the mean of `pool` consecutive samples, summed in
// double in order and rounded once, exactly as fsdd_signal computes it without standardize.
inline float fsdd_pool_window(const float* samples, int64_t pool) {
  double v = 0.0;
  for (int64_t k = 0; k < pool; ++k) v += samples[k];
  return float(v / double(pool));
}

}  // namespace spikessm

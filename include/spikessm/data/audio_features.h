#pragma once
// Audio samples -> model input steps, causally: a step is made from the samples up to its end
// only, so the same front end turns a whole recording into a task's input (data/task.cpp) and
// a live stream into steps one sample at a time (infer/stream_sources.cpp), with the same
// arithmetic in the same order: a streamed recording gives exactly the steps it trained on.
//   wave:   the mean of each window of `pool` samples (1 feature a step)
//   logmel: every `hop` samples, the log mel-band energies of the last `frame` samples
//           (Hann window, power spectrum by FFT, triangular mel filters from 0 Hz to rate / 2,
//           log(max(energy, log_floor))): `mel_bands` features a step; samples before the
//           start of the recording are silence (zeros)
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "spikessm/common/kinds.h"

namespace spikessm {

struct AudioFeatureOptions {
  AudioFeatures kind = AudioFeatures::Wave;
  int64_t rate = 8000;                            // samples per second (the mel scale needs it)
  int64_t pool = 1;                               // wave: samples a step
  int64_t frame = 200, hop = 80, mel_bands = 40;  // logmel: 25 ms frames every 10 ms at 8 kHz
  double log_floor = 1e-6;
};

class AudioFrontEnd {
 public:
  // InputError naming the data.* key when the options cannot make steps.
  explicit AudioFrontEnd(const AudioFeatureOptions& o);
  int64_t features() const;  // floats per step
  int64_t samples_per_step() const { return advance_; }

  // Appends n samples, writes each finished step (features() floats) to out and returns how
  // many. Hand at most samples_for(max_steps) samples to get at most max_steps steps.
  int64_t push(const float* samples, int64_t n, float* out);
  int64_t samples_for(int64_t max_steps) const;
  // `steps` steps of silence after the input, as a task pads a short recording: wave writes
  // zero steps (an unfinished window is dropped); logmel pushes zero samples.
  void pad(float* out, int64_t steps);

  // The samples kept between steps (the unfinished step, and logmel's history), so that a
  // saved stream resumes exactly; set_pending throws InputError naming `where` when a vector
  // could not have come from pending().
  const std::vector<float>& pending() const { return buf_; }
  void set_pending(const std::vector<float>& p, const std::string& where);

 private:
  void finish_step(float* out) const;  // from buf_ (window_ samples)

  AudioFeatureOptions o_;
  int64_t window_, advance_;  // samples a step reads, and new samples a step needs
  std::vector<float> buf_;    // the last (window_ - advance_) samples + the unfinished step's
  // logmel: Hann window (frame), mel filter weights (mel_bands x (n_fft / 2 + 1)), FFT tables
  std::vector<double> hann_, mel_, cos_, sin_;
  int64_t n_fft_ = 0;
  mutable std::vector<double> re_, im_, power_;  // a frame's spectrum: no allocation per step
};

// One recording -> (L, features) input: the first max_samples samples through a fresh front
// end, then silence up to L = max_samples / samples_per_step steps.
torch::Tensor audio_steps(const std::vector<float>& samples, int64_t max_samples,
                          const AudioFeatureOptions& o);

}  // namespace spikessm

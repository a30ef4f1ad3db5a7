#pragma once
// Mono WAV decoding with libsndfile, from bytes in memory (members of a tar, fuzz inputs).
#include <string>
#include <vector>

namespace spikessm {

struct WavAudio {
  std::vector<float> samples;  // (frames,): 16-bit PCM s -> s / 32768; float WAVs as stored
  int sample_rate = 0;
};

// RIFF WAV bytes -> samples. InputError naming `what` when the bytes are not a WAV file
// libsndfile can decode, hold more than one channel, no frames, more than max_frames, or a
// non-finite sample.
WavAudio decode_wav_mono(const std::string& bytes, const std::string& what,
                         int64_t max_frames = int64_t(1) << 24);

}  // namespace spikessm

// Spoken digits: the first byte even feeds the rest to the WAV decoder, odd to the FSDD tar
// reader. Anything accepted must be finite samples (PCM within [-1, 1]; float WAVs as stored),
// and each recording must become an (L, 1) finite input. Seeds (corpus/fsdd/) were written
// with Python's wave and tarfile modules: a 64-frame 16-bit WAV, and a tar of two of them.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "memfile.h"
#include "spikessm/common/error.h"
#include "spikessm/data/fsdd.h"
#include "spikessm/data/wav.h"

namespace spikessm::fuzz {

inline bool samples_ok(const std::vector<float>& s) {
  for (float v : s)
    if (!std::isfinite(v)) return false;
  return !s.empty();
}

int fsdd_one(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    if (data[0] & 1) {
      static MemFile file("fsdd_tar");
      for (const auto& r : read_fsdd_tar(file.hold(data + 1, size - 1))) {
        if (!samples_ok(r.samples) || r.digit < 0 || r.digit > 9) std::abort();
        const auto x = fsdd_signal(r.samples, 64, 2);
        if (x.sizes() != c10::IntArrayRef{32, 1} || !x.isfinite().all().item<bool>()) std::abort();
      }
    } else {
      const std::string wav(reinterpret_cast<const char*>(data) + 1, size - 1);
      const auto a = decode_wav_mono(wav, "fuzz.wav", 1 << 20);
      if (!samples_ok(a.samples) || a.sample_rate <= 0) std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace spikessm::fuzz

// The regression test (tests/test_fuzz_regressions.cpp) includes this file without the entry point.
#ifndef SPIKESSM_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return spikessm::fuzz::fsdd_one(data, size);
}
#endif

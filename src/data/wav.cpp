#include "spikessm/data/wav.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "spikessm/common/error.h"

namespace spikessm {

namespace {

// libsndfile's virtual I/O over a read-only byte string.
struct MemReader {
  const std::string* bytes;
  sf_count_t pos = 0;
};

sf_count_t mem_length(void* u) { return sf_count_t(static_cast<MemReader*>(u)->bytes->size()); }

sf_count_t mem_seek(sf_count_t offset, int whence, void* u) {
  auto* m = static_cast<MemReader*>(u);
  const sf_count_t size = sf_count_t(m->bytes->size());
  const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : size;
  m->pos = std::clamp<sf_count_t>(base + offset, 0, size);
  return m->pos;
}

sf_count_t mem_read(void* dst, sf_count_t n, void* u) {
  auto* m = static_cast<MemReader*>(u);
  const sf_count_t k = std::clamp<sf_count_t>(sf_count_t(m->bytes->size()) - m->pos, 0, n);
  std::memcpy(dst, m->bytes->data() + m->pos, size_t(k));
  m->pos += k;
  return k;
}

sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* u) { return static_cast<MemReader*>(u)->pos; }

}  // namespace

WavAudio decode_wav_mono(const std::string& bytes, const std::string& what, int64_t max_frames) {
  SF_VIRTUAL_IO io{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  MemReader reader{&bytes};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, int (*)(SNDFILE*)> f(sf_open_virtual(&io, SFM_READ, &info, &reader),
                                                sf_close);
  require(f != nullptr, what,
          std::string("not a decodable WAV file (") + sf_strerror(nullptr) + ")");
  // libsndfile also reads AIFF, FLAC, ...; the data sets here are RIFF WAV only.
  require((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV, what, "not a RIFF WAV file");
  require(info.channels == 1, what,
          "expected mono audio, got " + std::to_string(info.channels) + " channels");
  require(
      info.frames > 0 && info.frames <= max_frames, what,
      "expected 1.." + std::to_string(max_frames) + " frames, got " + std::to_string(info.frames));
  require(info.samplerate > 0, what, "sample rate " + std::to_string(info.samplerate));
  WavAudio a;
  a.sample_rate = info.samplerate;
  a.samples.resize(size_t(info.frames));
  const sf_count_t got = sf_readf_float(f.get(), a.samples.data(), info.frames);
  require(got == info.frames, what,
          "truncated: " + std::to_string(got) + " of " + std::to_string(info.frames) + " frames");
  for (float v : a.samples)  // float WAVs store anything, NaN included
    require(std::isfinite(v), what, "non-finite sample");
  return a;
}

}  // namespace spikessm

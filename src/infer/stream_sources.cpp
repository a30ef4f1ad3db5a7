// Where `spikessm stream` gets its input steps: raw PCM on a pipe, a WAV file, an .npy array;
// audio goes through the FSDD task's own front end (data/audio_features.h).
#include <cmath>
#include <cstring>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/audio_features.h"
#include "spikessm/data/fsdd.h"
#include "spikessm/data/npy.h"
#include "spikessm/data/wav.h"
#include "spikessm/infer/stream_classify.h"

namespace spikessm {

StreamInputSpec stream_input_spec(const DataOptions& data, int64_t d_input,
                                  const TrainSplitStats& stats) {
  StreamInputSpec in;
  in.d_input = d_input;
  if (data.dataset == "arrays" && int64_t(stats.mean.size()) == d_input) {
    in.mean = stats.mean;
    in.std = stats.std;
  }
  if (data.dataset == "fsdd") {
    require(!data.standardize || data.audio.kind != AudioFeatures::Wave, "data.standardize",
            "is true in this checkpoint: it scales each recording by the recording's own "
            "variance, which a stream does not know in advance; train with data.standardize = "
            "false (or data.features = \"logmel\") to stream");
    in.rate = kFsddRate;
    in.audio = data.audio;
    in.audio.rate = kFsddRate;
    const AudioFrontEnd fe(in.audio);
    require(fe.features() == d_input, "data.features",
            "makes " + std::to_string(fe.features()) + " features a step, but the model reads " +
                std::to_string(d_input));
    in.samples_per_step = fe.samples_per_step();
    in.train_length =
        (data.max_length > 0 ? data.max_length : kFsddMaxSamples) / in.samples_per_step;
  }
  return in;
}

PcmFormat pcm_format_from_name(const std::string& name) {
  if (name == "s16le") return PcmFormat::S16LE;
  if (name == "f32le") return PcmFormat::F32LE;
  throw InputError("--format: '" + name + "' (expected s16le or f32le)");
}

namespace {

class PcmSource : public StepSource {
 public:
  PcmSource(std::FILE* f, PcmFormat format, const StreamInputSpec& in, std::string what)
      : f_(f),
        bytes_per_(format == PcmFormat::S16LE ? 2 : 4),
        format_(format),
        front_end_(in.audio),
        what_(std::move(what)) {}

  int64_t read(float* out, int64_t max_steps) override {
    const int64_t want = front_end_.samples_for(max_steps);
    raw_.resize(size_t(want * bytes_per_));
    samples_.resize(size_t(want));
    // Fill up to `want` whole samples; a short read is either the end or a slow pipe.
    size_t have = carry_;
    while (have < raw_.size()) {
      const size_t got = std::fread(raw_.data() + have, 1, raw_.size() - have, f_);
      if (got == 0) break;
      have += got;
    }
    require(!std::ferror(f_), what_, "read error");
    const int64_t n = int64_t(have) / bytes_per_;
    carry_ = have - size_t(n * bytes_per_);
    if (n == 0 && carry_ > 0)
      throw InputError(what_ + ": the stream ends inside a sample (" + std::to_string(carry_) +
                       " trailing byte(s); " + (bytes_per_ == 2 ? "s16le" : "f32le") +
                       " samples are " + std::to_string(bytes_per_) + " bytes)");
    for (int64_t i = 0; i < n; ++i) {
      const unsigned char* b = raw_.data() + i * bytes_per_;
      if (format_ == PcmFormat::S16LE) {
        const int16_t v = int16_t(uint16_t(b[0]) | uint16_t(b[1]) << 8);
        samples_[size_t(i)] = float(v) / 32768.0f;  // as libsndfile reads 16-bit WAV
      } else {
        const uint32_t u =
            uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
        float v;
        std::memcpy(&v, &u, 4);
        require(std::isfinite(v), what_,
                "sample " + std::to_string(samples_read_ + i) + " is not finite");
        samples_[size_t(i)] = v;
      }
    }
    // Bytes of a partial sample move to the front for the next read.
    std::memmove(raw_.data(), raw_.data() + n * bytes_per_, carry_);
    samples_read_ += n;
    return front_end_.push(samples_.data(), n, out);
  }
  void pad(float* out, int64_t steps, int64_t) override { front_end_.pad(out, steps); }
  std::vector<float> pending() const override { return front_end_.pending(); }
  void set_pending(const std::vector<float>& p, const std::string& where) override {
    front_end_.set_pending(p, where);
  }

 private:
  std::FILE* f_;
  int64_t bytes_per_;
  PcmFormat format_;
  AudioFrontEnd front_end_;
  std::string what_;
  std::vector<unsigned char> raw_;
  std::vector<float> samples_;
  size_t carry_ = 0;
  int64_t samples_read_ = 0;
};

// Audio already in memory (a decoded WAV), through the front end a chunk at a time.
class AudioBufferSource : public StepSource {
 public:
  AudioBufferSource(std::vector<float> samples, const AudioFeatureOptions& o)
      : samples_(std::move(samples)), front_end_(o) {}
  int64_t read(float* out, int64_t max_steps) override {
    const int64_t n = std::min(front_end_.samples_for(max_steps), int64_t(samples_.size()) - pos_);
    pos_ += n;
    return front_end_.push(samples_.data() + pos_ - n, n, out);
  }
  void pad(float* out, int64_t steps, int64_t) override { front_end_.pad(out, steps); }
  std::vector<float> pending() const override { return front_end_.pending(); }
  void set_pending(const std::vector<float>& p, const std::string& where) override {
    front_end_.set_pending(p, where);
  }

 private:
  std::vector<float> samples_;
  AudioFrontEnd front_end_;
  int64_t pos_ = 0;
};

// Model inputs already (an array): d values a step, handed out a chunk at a time.
class ArraySource : public StepSource {
 public:
  ArraySource(std::vector<float> values, int64_t d) : values_(std::move(values)), d_(d) {}
  int64_t read(float* out, int64_t max_steps) override {
    const int64_t n = std::min(max_steps, (int64_t(values_.size()) - pos_) / d_);
    std::copy(values_.data() + pos_, values_.data() + pos_ + n * d_, out);
    pos_ += n * d_;
    return n;
  }

 private:
  std::vector<float> values_;
  int64_t d_, pos_ = 0;
};

}  // namespace

std::unique_ptr<StepSource> pcm_source(std::FILE* f, PcmFormat format, const StreamInputSpec& in,
                                       const std::string& what) {
  require(in.rate > 0, what,
          "raw audio needs a checkpoint trained on audio (data.dataset = fsdd); give an .npy "
          "array of model inputs instead");
  return std::make_unique<PcmSource>(f, format, in, what);
}

std::unique_ptr<StepSource> wav_source(const std::string& path, const StreamInputSpec& in) {
  require(in.rate > 0, path,
          "a WAV input needs a checkpoint trained on audio (data.dataset = fsdd); give an .npy "
          "array of model inputs instead");
  auto wav = decode_wav_mono(read_regular_file(path, "WAV file"), path);
  require(wav.sample_rate == in.rate, path,
          "sample rate " + std::to_string(wav.sample_rate) + " Hz, but the model was trained at " +
              std::to_string(in.rate) + " Hz");
  return std::make_unique<AudioBufferSource>(std::move(wav.samples), in.audio);
}

std::unique_ptr<StepSource> array_source(const std::string& path, const StreamInputSpec& in) {
  auto a = read_npy(path);
  require(a.is_floating_point() || a.scalar_type() == torch::kInt32 ||
              a.scalar_type() == torch::kInt64 || a.scalar_type() == torch::kInt16 ||
              a.scalar_type() == torch::kInt8 || a.scalar_type() == torch::kUInt8,
          path, "holds no numbers");
  const bool ok = (a.dim() == 2 && a.size(1) == in.d_input) || (a.dim() == 1 && in.d_input == 1);
  require(ok && a.size(0) >= 1, path,
          "has shape " + c10::str(a.sizes()) + "; expected (L, " + std::to_string(in.d_input) +
              ")" + (in.d_input == 1 ? " or (L,)" : "") + " model inputs with L >= 1");
  a = a.to(torch::kFloat).contiguous();
  require(torch::isfinite(a).all().item<bool>(), path, "holds a non-finite value");
  if (!in.mean.empty()) {  // the task's standardisation, from the checkpoint
    auto channel = [&](const std::vector<double>& v) {
      return torch::tensor(v, torch::kFloat64).to(torch::kFloat).view({1, -1});
    };
    a = ((a.view({a.size(0), -1}) - channel(in.mean)) / channel(in.std)).contiguous();
  }
  std::vector<float> v(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
  // Arrays are model inputs already: one value (or row) a step.
  return std::make_unique<ArraySource>(std::move(v), in.d_input);
}

}  // namespace spikessm

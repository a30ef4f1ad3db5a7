#include "spikessm/data/audio_features.h"

#include <algorithm>
#include <cmath>

#include "spikessm/common/error.h"
#include "spikessm/data/fsdd.h"

namespace spikessm {

namespace {

double hz_to_mel(double f) { return 2595.0 * std::log10(1.0 + f / 700.0); }
double mel_to_hz(double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); }

// In-place radix-2 FFT of n = 2^k complex values (re, im), with tables cos/sin(2 pi j / n).
void fft(std::vector<double>& re, std::vector<double>& im, const std::vector<double>& c,
         const std::vector<double>& s) {
  const size_t n = re.size();
  for (size_t i = 1, j = 0; i < n; ++i) {  // bit-reversal permutation
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(re[i], re[j]), std::swap(im[i], im[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t stride = n / len;
    for (size_t i = 0; i < n; i += len)
      for (size_t k = 0; k < len / 2; ++k) {
        const double wr = c[k * stride], wi = -s[k * stride];
        const size_t a = i + k, b = a + len / 2;
        const double tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr, im[b] = im[a] - ti;
        re[a] += tr, im[a] += ti;
      }
  }
}

}  // namespace

AudioFrontEnd::AudioFrontEnd(const AudioFeatureOptions& o) : o_(o) {
  if (o.kind == AudioFeatures::Wave) {
    require(o.pool >= 1, "data.pool", "must be >= 1");
    window_ = advance_ = o.pool;
    return;
  }
  require(o.frame >= 2 && o.frame <= 65536, "data.frame",
          std::to_string(o.frame) + " samples (expected 2 to 65536)");
  require(o.hop >= 1 && o.hop <= o.frame, "data.hop",
          std::to_string(o.hop) +
              " samples (expected 1 to data.frame = " + std::to_string(o.frame) + ")");
  require(o.log_floor > 0, "data.log_floor", "must be > 0");
  window_ = o.frame;
  advance_ = o.hop;
  n_fft_ = 1;
  while (n_fft_ < o.frame) n_fft_ <<= 1;
  const int64_t bins = n_fft_ / 2 + 1;
  require(o.mel_bands >= 1 && o.mel_bands < bins, "data.mel_bands",
          std::to_string(o.mel_bands) + " (expected 1 to " + std::to_string(bins - 1) +
              " for frames of " + std::to_string(o.frame) + " samples)");
  const double pi = std::acos(-1.0);
  hann_.resize(size_t(o.frame));
  for (int64_t i = 0; i < o.frame; ++i)  // periodic Hann
    hann_[size_t(i)] = 0.5 - 0.5 * std::cos(2.0 * pi * double(i) / double(o.frame));
  cos_.resize(size_t(n_fft_));
  sin_.resize(size_t(n_fft_));
  for (int64_t j = 0; j < n_fft_; ++j) {
    cos_[size_t(j)] = std::cos(2.0 * pi * double(j) / double(n_fft_));
    sin_[size_t(j)] = std::sin(2.0 * pi * double(j) / double(n_fft_));
  }
  // Triangular filters: band m rises from edge m to edge m + 1 and falls to edge m + 2, the
  // mel_bands + 2 edges equally spaced on the mel scale from 0 Hz to rate / 2.
  const double top = hz_to_mel(double(o.rate) / 2.0);
  std::vector<double> edge(size_t(o.mel_bands + 2));
  for (size_t m = 0; m < edge.size(); ++m)
    edge[m] = mel_to_hz(top * double(m) / double(o.mel_bands + 1));
  mel_.assign(size_t(o.mel_bands * bins), 0.0);
  for (int64_t m = 0; m < o.mel_bands; ++m)
    for (int64_t k = 0; k < bins; ++k) {
      const double f = double(k) * double(o.rate) / double(n_fft_);
      const double lo = edge[size_t(m)], mid = edge[size_t(m + 1)], hi = edge[size_t(m + 2)];
      const double w = f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid);
      mel_[size_t(m * bins + k)] = std::max(0.0, w);
    }
  buf_.assign(size_t(window_ - advance_), 0.0f);  // silence before the recording
}

int64_t AudioFrontEnd::features() const {
  return o_.kind == AudioFeatures::Wave ? 1 : o_.mel_bands;
}

void AudioFrontEnd::finish_step(float* out) const {
  if (o_.kind == AudioFeatures::Wave) {
    out[0] = fsdd_pool_window(buf_.data(), o_.pool);
    return;
  }
  re_.assign(size_t(n_fft_), 0.0);
  im_.assign(size_t(n_fft_), 0.0);
  for (size_t i = 0; i < hann_.size(); ++i) re_[i] = double(buf_[i]) * hann_[i];
  fft(re_, im_, cos_, sin_);
  const int64_t bins = n_fft_ / 2 + 1;
  power_.resize(size_t(bins));
  for (size_t k = 0; k < power_.size(); ++k) power_[k] = re_[k] * re_[k] + im_[k] * im_[k];
  for (int64_t m = 0; m < o_.mel_bands; ++m) {
    double e = 0.0;
    for (int64_t k = 0; k < bins; ++k) e += mel_[size_t(m * bins + k)] * power_[size_t(k)];
    out[m] = float(std::log(std::max(e, o_.log_floor)));
  }
}

int64_t AudioFrontEnd::push(const float* samples, int64_t n, float* out) {
  int64_t steps = 0;
  for (int64_t i = 0; i < n; ++i) {
    buf_.push_back(samples[i]);
    if (int64_t(buf_.size()) == window_) {
      finish_step(out + steps * features());
      ++steps;
      buf_.erase(buf_.begin(), buf_.begin() + advance_);
    }
  }
  return steps;
}

int64_t AudioFrontEnd::samples_for(int64_t max_steps) const {
  return max_steps * advance_ - (int64_t(buf_.size()) - (window_ - advance_));
}

void AudioFrontEnd::pad(float* out, int64_t steps) {
  if (o_.kind == AudioFeatures::Wave) {
    buf_.clear();
    std::fill(out, out + steps, 0.0f);
    return;
  }
  const std::vector<float> zeros(size_t(advance_), 0.0f);
  for (int64_t done = 0; done < steps;)
    done += push(zeros.data(), samples_for(1), out + done * features());
}

void AudioFrontEnd::set_pending(const std::vector<float>& p, const std::string& where) {
  const int64_t keep = window_ - advance_;
  require(int64_t(p.size()) >= keep && int64_t(p.size()) < window_, where,
          "holds " + std::to_string(p.size()) + " pending samples; this model's front end keeps " +
              std::to_string(keep) + " to " + std::to_string(window_ - 1));
  buf_ = p;
}

torch::Tensor audio_steps(const std::vector<float>& samples, int64_t max_samples,
                          const AudioFeatureOptions& o) {
  AudioFrontEnd fe(o);
  const int64_t L = max_samples / fe.samples_per_step();
  auto out = torch::empty({L, fe.features()}, torch::kFloat);
  float* x = out.data_ptr<float>();
  const int64_t n = std::min<int64_t>({int64_t(samples.size()), max_samples, fe.samples_for(L)});
  const int64_t steps = fe.push(samples.data(), n, x);
  fe.pad(x + steps * fe.features(), L - steps);
  return out;
}

}  // namespace spikessm

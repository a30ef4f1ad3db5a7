// The audio front end (data/audio_features.h): log-mel frames against a float64 reference
// built here from the definition (frames, Hann window, torch's rfft, triangular mel filters),
// the streaming path (any split of the samples, a saved and restored state) equal to the whole
// recording bit for bit, the wave front end equal to the FSDD task's pooling, and the FSDD task
// with log-mel features on the real recordings.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "spikessm/common/error.h"
#include "spikessm/data/audio_features.h"
#include "spikessm/data/fsdd.h"
#include "spikessm/data/task.h"
#include "test_util.h"

using namespace spikessm;

namespace {

std::vector<float> noise_and_tone(int64_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> d(0.0, 0.05);
  std::vector<float> s(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    s[size_t(i)] = float(0.5 * std::sin(2 * M_PI * 440.0 * double(i) / 8000.0) + d(g));
  return s;
}

AudioFeatureOptions logmel() {
  AudioFeatureOptions o;
  o.kind = AudioFeatures::LogMel;
  return o;  // 8 kHz, frame 200, hop 80, 40 bands
}

// The definition, in float64 with torch: frame t = samples [(t + 1) hop - frame, (t + 1) hop),
// zeros before 0 and after the end; |rfft(hann * frame, 256)|^2; HTK-mel triangles over 0..4 kHz.
torch::Tensor reference_logmel(const std::vector<float>& s, int64_t L,
                               const AudioFeatureOptions& o) {
  auto opt = torch::TensorOptions().dtype(torch::kDouble);
  auto x = torch::zeros({L * o.hop + o.frame}, opt);
  const int64_t lead = o.frame - o.hop;
  const int64_t n = std::min<int64_t>(int64_t(s.size()), L * o.hop);
  for (int64_t i = 0; i < n; ++i) x[lead + i] = double(s[size_t(i)]);
  auto frames = x.unfold(0, o.frame, o.hop).narrow(0, 0, L);  // (L, frame)
  auto hann = 0.5 - 0.5 * torch::cos(2 * M_PI * torch::arange(o.frame, opt) / double(o.frame));
  auto power = torch::fft::rfft(frames * hann, 256).abs().pow(2);  // (L, 129)
  auto mel = [](double f) { return 2595.0 * std::log10(1.0 + f / 700.0); };
  auto hz = torch::arange(129, opt) * (8000.0 / 256.0);
  auto filters = torch::zeros({o.mel_bands, 129}, opt);
  for (int64_t m = 0; m < o.mel_bands; ++m) {
    auto edge = [&](int64_t k) {
      const double v = mel(4000.0) * double(k) / double(o.mel_bands + 1);
      return 700.0 * (std::pow(10.0, v / 2595.0) - 1.0);
    };
    const double lo = edge(m), mid = edge(m + 1), hi = edge(m + 2);
    filters[m] =
        torch::clamp_min(torch::minimum((hz - lo) / (mid - lo), (hi - hz) / (hi - mid)), 0);
  }
  return torch::log(torch::clamp_min(power.matmul(filters.t()), o.log_floor));  // (L, bands)
}

}  // namespace

TEST(AudioFrontEnd, LogMelEqualsTheFloat64Definition) {
  const auto s = noise_and_tone(3000, 7);
  const auto o = logmel();
  const int64_t L = 3000 / 80;
  auto got = audio_steps(s, 3000, o);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{L, 40}));
  auto want = reference_logmel(s, L, o);
  EXPECT_LT((got.to(torch::kDouble) - want).abs().max().item<double>(), 2e-5);
  // The 440 Hz tone's band is the loudest of a frame in the middle.
  const int64_t peak = got[20].argmax().item<int64_t>();
  const double mel440 = 2595.0 * std::log10(1.0 + 440.0 / 700.0);
  const double band_width = 2595.0 * std::log10(1.0 + 4000.0 / 700.0) / 41.0;
  EXPECT_NEAR(double(peak + 1) * band_width, mel440, 1.5 * band_width);
}

TEST(AudioFrontEnd, StreamingInAnySplitEqualsTheWholeRecordingBitForBit) {
  const auto s = noise_and_tone(2500, 11);
  for (const auto& o : {logmel(), AudioFeatureOptions{AudioFeatures::Wave, 8000, 3}}) {
    SCOPED_TRACE(to_string(o.kind));
    AudioFrontEnd probe(o);
    const int64_t L = 2500 / probe.samples_per_step() + 4;  // and 4 steps of padding
    auto whole = audio_steps(s, 2500 + 4 * probe.samples_per_step(), o);
    ASSERT_EQ(whole.size(0), L);
    std::mt19937_64 g(3);
    for (int trial = 0; trial < 5; ++trial) {
      AudioFrontEnd fe(o);
      std::vector<float> out(size_t(L * fe.features()));
      int64_t pos = 0, steps = 0;
      while (pos < int64_t(s.size())) {
        const int64_t max_steps = 1 + int64_t(g() % 7);
        int64_t n = std::min<int64_t>(fe.samples_for(max_steps), int64_t(s.size()) - pos);
        n = std::max<int64_t>(1, n - int64_t(g() % 3));  // also reads that end mid-step
        const int64_t got = fe.push(s.data() + pos, n, out.data() + steps * fe.features());
        EXPECT_LE(got, max_steps);
        steps += got, pos += n;
        if (trial == 4 && pos > 1000 && pos < 1100) {  // save and restore mid-recording
          AudioFrontEnd resumed(o);
          resumed.set_pending(fe.pending(), "state");
          fe = resumed;
        }
      }
      // Wave drops the unfinished window before the padding, as the task does.
      fe.pad(out.data() + steps * fe.features(), L - steps);
      auto streamed = torch::from_blob(out.data(), {L, fe.features()}, torch::kFloat);
      EXPECT_TRUE(torch::equal(streamed, whole)) << "trial " << trial;
    }
  }
}

TEST(AudioFrontEnd, WaveIsTheFsddPooling) {
  const auto s = noise_and_tone(1001, 5);
  for (int64_t pool : {1, 2, 4}) {
    AudioFeatureOptions o;
    o.pool = pool;
    EXPECT_TRUE(torch::equal(audio_steps(s, 1200, o), fsdd_signal(s, 1200, pool, false)));
  }
}

TEST(AudioFrontEnd, BadOptionsAndStatesNameTheirKey) {
  auto msg = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  auto o = logmel();
  o.hop = 300;
  EXPECT_NE(msg([&] { AudioFrontEnd{o}; }).find("data.hop"), std::string::npos);
  o = logmel();
  o.mel_bands = 200;
  EXPECT_NE(msg([&] { AudioFrontEnd{o}; }).find("data.mel_bands"), std::string::npos);
  AudioFrontEnd fe(logmel());
  EXPECT_NE(
      msg([&] { fe.set_pending(std::vector<float>(5), "state.bin"); }).find("state.bin: holds 5"),
      std::string::npos);
}

TEST(AudioFrontEnd, FsddTaskReadsLogMelFramesOfTheRealRecordings) {
  const std::string dir = spikessm::testing::shared_data_dir() + "/fsdd";
  SPIKESSM_SKIP_UNLESS_EXISTS(dir + "/recordings.tar");
  Config c;
  c.set("data.dataset=fsdd");
  c.set("data.dir=" + dir);
  c.set("data.features=logmel");
  c.set("data.shift=800");
  Task t = load_task(c);
  EXPECT_EQ(t.d_input, 40);
  EXPECT_EQ(t.L, 8192 / 80);
  EXPECT_EQ(t.train_x.sizes(), (std::vector<int64_t>{2400, 102, 40}));
  EXPECT_EQ(t.test_x.sizes(), (std::vector<int64_t>{300, 102, 40}));
  // Speech is louder than the silence padding at the end of a recording.
  auto speech = t.test_x.narrow(1, 10, 20).mean().item<double>();
  auto tail = t.test_x.narrow(1, 95, 7).mean().item<double>();
  EXPECT_GT(speech, tail + 3.0);
  // Most recordings end before the last frame: pure silence, every band at the floor.
  auto last = t.test_x.select(1, 101);  // (300, 40)
  EXPECT_GT((last == float(std::log(1e-6))).all(1).sum().item<int64_t>(), 250);
}

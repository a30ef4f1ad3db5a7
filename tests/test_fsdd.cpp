// Spoken digits: the WAV decoder against Python's `wave` module on a real recording and on
// WAV bytes built here by hand, the FSDD tar reader and its splits on the real data, the
// input transform, one-line errors, and a short training run through the CLI.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/fsdd.h"
#include "spikessm/data/tar_members.h"
#include "spikessm/data/task.h"
#include "spikessm/data/wav.h"
#include "cli_runner.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

std::string fsdd_tar() { return spikessm::testing::shared_data_dir() + "/fsdd/recordings.tar"; }

void put_le(std::string& s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}

// A canonical 44-byte-header RIFF WAV of 16-bit PCM, written from the format's definition.
std::string riff_wav(int channels, int rate, const std::vector<int16_t>& samples) {
  std::string d;
  for (int16_t v : samples) put_le(d, uint16_t(v), 2);
  std::string w = "RIFF";
  put_le(w, uint32_t(36 + d.size()), 4);
  w += "WAVEfmt ";
  put_le(w, 16, 4);
  put_le(w, 1, 2);  // PCM
  put_le(w, uint32_t(channels), 2);
  put_le(w, uint32_t(rate), 4);
  put_le(w, uint32_t(rate * channels * 2), 4);
  put_le(w, uint32_t(channels * 2), 2);
  put_le(w, 16, 2);
  w += "data";
  put_le(w, uint32_t(d.size()), 4);
  return w + d;
}

// A ustar archive of regular files (name, bytes), as tar(1) lays it out.
std::string ustar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string t;
  for (const auto& [name, bytes] : files) {
    std::string h(512, '\0');
    std::memcpy(&h[0], name.data(), name.size());
    std::snprintf(&h[124], 12, "%011o", unsigned(bytes.size()));
    h[156] = '0';
    std::memcpy(&h[257], "ustar", 5);
    t += h + bytes + std::string((512 - bytes.size() % 512) % 512, '\0');
  }
  return t + std::string(1024, '\0');
}

template <class F>
void expect_error(F&& f, const std::string& want) {
  try {
    f();
    ADD_FAILURE() << "no InputError; expected one saying: " << want;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Wav, DecodesHandWrittenPcm) {
  const std::vector<int16_t> s{0, 1, -1, 32767, -32768, 1234};
  const auto a = decode_wav_mono(riff_wav(1, 8000, s), "hand.wav");
  EXPECT_EQ(a.sample_rate, 8000);
  ASSERT_EQ(a.samples.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(a.samples[i], float(s[i]) / 32768.f) << i;
}

TEST(Wav, RefusesWhatIsNotMonoWav) {
  expect_error(
      [] {
        decode_wav_mono(riff_wav(2, 8000, {1, 2, 3, 4}), "st.wav");
      },
      "st.wav: expected mono audio, got 2 channels");
  expect_error([] { decode_wav_mono("RIFF....not a wave at all", "junk.wav"); },
               "junk.wav: not a decodable WAV file");
  expect_error(
      [] { decode_wav_mono(riff_wav(1, 8000, std::vector<int16_t>(100)), "long.wav", 50); },
      "long.wav: expected 1..50 frames, got 100");
}

// Reference values read from the same file with Python's wave module (int16 / 32768).
TEST(Fsdd, RealRecordingMatchesPythonWave) {
  SPIKESSM_SKIP_UNLESS_EXISTS(fsdd_tar());
  const std::string tar = read_file_bytes(fsdd_tar());
  bool found = false;
  for (const auto& m : tar_members(tar, "fsdd")) {
    if (m.name != "recordings/3_jackson_7.wav") continue;
    found = true;
    const auto a = decode_wav_mono(tar.substr(m.offset, m.size), m.name);
    ASSERT_EQ(a.samples.size(), 3910u);
    const int16_t head[8] = {-423, -160, 243, -203, 16, 516, -41, 183};
    const int16_t mid[4] = {-4001, -3651, -3018, -2295};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(a.samples[size_t(i)], head[i] / 32768.f) << i;
    for (int i = 0; i < 4; ++i) EXPECT_EQ(a.samples[size_t(1000 + i)], mid[i] / 32768.f) << i;
    double sum = 0;
    for (float v : a.samples) sum += double(v) * 32768.0;
    EXPECT_EQ(sum, -1903.0);
  }
  EXPECT_TRUE(found);
}

TEST(Fsdd, RealSetHasTheDocumentedSplits) {
  SPIKESSM_SKIP_UNLESS_EXISTS(fsdd_tar());
  const auto recs = read_fsdd_tar(fsdd_tar());
  ASSERT_EQ(recs.size(), 3000u);
  std::map<int64_t, int> per_digit;
  std::set<std::string> speakers;
  for (const auto& r : recs) {
    ++per_digit[r.digit];
    speakers.insert(r.speaker);
    EXPECT_GE(r.index, 0);
    EXPECT_LE(r.index, 49);
  }
  EXPECT_EQ(speakers.size(), 6u);
  for (int d = 0; d < 10; ++d) EXPECT_EQ(per_digit[d], 300) << d;

  Config c;
  c.set("data.dataset=fsdd");
  c.set("data.dir=" + spikessm::testing::shared_data_dir() + "/fsdd");
  c.set("data.pool=2");
  const Task t = load_task(c);
  EXPECT_EQ(t.train_x.sizes(), (std::vector<int64_t>{2400, 4096, 1}));
  EXPECT_EQ(t.val_x.size(0), 300);
  EXPECT_EQ(t.test_x.size(0), 300);
  EXPECT_EQ(t.L, 4096);
  EXPECT_EQ(t.n_classes, 10);
  for (int d = 0; d < 10; ++d) {  // each split is balanced: 6 speakers x 5 (or 40) takes a digit
    EXPECT_EQ(t.test_y.eq(d).sum().item<int64_t>(), 30) << d;
    EXPECT_EQ(t.val_y.eq(d).sum().item<int64_t>(), 30) << d;
    EXPECT_EQ(t.train_y.eq(d).sum().item<int64_t>(), 240) << d;
  }
  EXPECT_NE(t.description.find("4000 Hz"), std::string::npos) << t.description;
  EXPECT_TRUE(t.train_x.isfinite().all().item<bool>());
}

TEST(Fsdd, SignalPoolsNormalisesTrimsAndPads) {
  // Pool 2 over 1..6 -> 1.5, 3.5, 5.5 -> zero mean, unit (population) variance, then zeros.
  auto x = fsdd_signal({1, 2, 3, 4, 5, 6}, 10, 2);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{5, 1}));
  const double sd = std::sqrt(8.0 / 3.0);
  EXPECT_NEAR(x[0][0].item<float>(), -2.0 / sd, 1e-6);
  EXPECT_NEAR(x[1][0].item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(x[2][0].item<float>(), 2.0 / sd, 1e-6);
  EXPECT_EQ(x[3][0].item<float>(), 0.f);
  EXPECT_EQ(x[4][0].item<float>(), 0.f);
  // Longer than max_samples: only the first 4 samples (2 windows) count.
  auto y = fsdd_signal({1, 3, 5, 7, 100, 100}, 4, 2);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 1}));
  EXPECT_NEAR(y[0][0].item<float>(), -1.0, 1e-6);
  EXPECT_NEAR(y[1][0].item<float>(), 1.0, 1e-6);
}

TEST(Fsdd, TarErrorsNameTheMember) {
  const auto dir = spikessm::testing::scratch_dir("fsdd_errors");
  const auto pcm = riff_wav(1, 8000, {1, 2, 3});
  auto write = [&](const std::string& member, const std::string& bytes) {
    const auto p = (dir / "r.tar").string();
    spikessm::testing::write_file(p, ustar({{member, bytes}}));
    return p;
  };
  expect_error(
      [&] { read_fsdd_tar(write("recordings/x_george_3.wav", pcm)); },
      "r.tar:recordings/x_george_3.wav: expected a name {digit 0-9}_{speaker}_{index}.wav");
  expect_error([&] { read_fsdd_tar(write("recordings/3_george_3.wav", riff_wav(1, 16000, {1}))); },
               "sample rate 16000 Hz, expected 8000");
  expect_error([&] { read_fsdd_tar(write("notes.txt", "hello")); },
               "no {digit}_{speaker}_{index}.wav");
  const auto ok = read_fsdd_tar(write("recordings/7_bob_12.wav", pcm));
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].digit, 7);
  EXPECT_EQ(ok[0].speaker, "bob");
  EXPECT_EQ(ok[0].index, 12);
  // The CLI turns a bad data.dir into one line and exit code 2, before any output file.
  auto r = spikessm::testing::run_cli(
      "train --set data.dataset=fsdd --set data.dir=" + (dir / "missing").string() +
      " --set train.out_dir=" + (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("expected the FSDD recordings.tar"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "run"));
}

TEST(Fsdd, TrainsThroughTheCli) {
  SPIKESSM_SKIP_UNLESS_EXISTS(fsdd_tar());
  const auto dir = spikessm::testing::scratch_dir("fsdd_cli");
  auto r = spikessm::testing::run_cli(
      "train --set data.dataset=fsdd --set data.dir=" + spikessm::testing::shared_data_dir() +
      "/fsdd --set data.pool=4 --set data.max_length=2048 --set data.train_limit=64"
      " --set data.test_limit=40 --set model.d_model=8 --set model.d_state=4"
      " --set train.max_steps=4 --set train.batch_size=16 --set train.out_dir=" +
      (dir / "run").string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream f(dir / "run/spike_stats.json");
  const auto stats = nlohmann::json::parse(f);
  EXPECT_EQ(stats["samples"], 40);
  EXPECT_GE(stats["accuracy"].get<double>(), 0.0);
  EXPECT_GT(stats["mean_spiking_rate"].get<double>(), 0.0);
}

TEST(Fsdd, EvaluationDecodesOnlyTheTestRecordings) {
  const auto dir = spikessm::testing::scratch_dir("fsdd_test_only");
  std::vector<std::pair<std::string, std::string>> good, broken;
  for (int digit = 0; digit < 2; ++digit)
    for (int index : {0, 3, 7, 12, 30}) {
      const std::string name =
          "recordings/" + std::to_string(digit) + "_ann_" + std::to_string(index) + ".wav";
      std::vector<int16_t> pcm(64);
      for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = int16_t((i * 97 + index * 13 + digit) % 400);
      good.push_back({name, riff_wav(1, 8000, pcm)});
      // The training and validation recordings of the second tar are not WAV at all.
      broken.push_back({name, index < 5 ? good.back().second : "not a wav"});
    }
  spikessm::testing::write_file(dir / "good.tar", ustar(good));
  spikessm::testing::write_file(dir / "broken.tar", ustar(broken));
  Config c;
  c.set("data.dataset=fsdd");
  c.set("data.max_length=64");
  c.set("data.dir=" + (dir / "good.tar").string());
  const Task full = load_task(c);
  c.set("data.dir=" + (dir / "broken.tar").string());
  EXPECT_THROW(load_task(c), InputError);
  const Task alone = load_task(c, TaskSplits::TestOnly);
  EXPECT_FALSE(alone.train_x.defined());
  EXPECT_FALSE(alone.val_x.defined());
  ASSERT_EQ(alone.test_x.size(0), 4);
  EXPECT_TRUE(alone.test_x.equal(full.test_x));
  EXPECT_TRUE(alone.test_y.equal(full.test_y));
  fs::remove_all(dir);
}

// `spikessm stream` end to end on real FSDD recordings with a small causal model trained here:
// the decision and probabilities of a WAV file, and of the same samples as raw s16le on stdin,
// equal the parallel forward() of the input the task builds for that recording; a state saved
// mid-recording resumes to the same decision; every bad input is one line and exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/audio_features.h"
#include "spikessm/data/fsdd.h"
#include "spikessm/data/tar_members.h"
#include "spikessm/data/wav.h"
#include "spikessm/models/sequence_classifier.h"
#include "spikessm/train/trained_model.h"
#include "test_util.h"

namespace fs = std::filesystem;
using spikessm::testing::run_cli;

namespace {

std::string fsdd_tar() { return spikessm::testing::shared_data_dir() + "/fsdd/recordings.tar"; }

std::string train_args(const fs::path& out, bool bidirectional, const std::string& extra = "") {
  return "train --set data.dataset=fsdd --set data.dir=" + fsdd_tar() +
         " --set data.pool=4 --set data.max_length=2048 --set data.train_limit=64"
         " --set data.test_limit=16 --set data.standardize=false --set model.d_model=8"
         " --set model.d_state=4 --set model.n_layers=2 --set model.norm=batch"
         " --set model.bidirectional=" +
         std::string(bidirectional ? "true" : "false") +
         " --set train.max_steps=6 --set train.batch_size=16 --set train.threads=1" + extra +
         " --set train.out_dir=" + out.string();
}

// The last JSON line of stream --json output whose event is `kind`.
nlohmann::json last_event(const std::string& out, const std::string& kind) {
  nlohmann::json found;
  size_t p = 0;
  while (p < out.size()) {
    const size_t e = out.find('\n', p);
    const std::string line = out.substr(p, e == std::string::npos ? std::string::npos : e - p);
    p = e == std::string::npos ? out.size() : e + 1;
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line);
    if (j["event"] == kind) found = j;
  }
  return found;
}

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

class StreamCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(fsdd_tar())) return;
    dir_ = spikessm::testing::scratch_dir("stream_cli");
    auto r = run_cli(train_args(dir_ / "causal", false));
    ASSERT_EQ(r.code, 0) << r.out;
    r = run_cli(train_args(dir_ / "bidi", true));
    ASSERT_EQ(r.code, 0) << r.out;
    r = run_cli(train_args(dir_ / "logmel", false, " --set data.features=logmel"));
    ASSERT_EQ(r.code, 0) << r.out;
    // Six test recordings (index 0-4) of different digits, as WAV files and raw s16le.
    const std::string tar = spikessm::read_file_bytes(fsdd_tar());
    for (const auto& m : spikessm::tar_members(tar, fsdd_tar())) {
      const std::string base = fs::path(m.name).filename().string();
      if (base.size() < 6 || base.substr(base.size() - 6) != "_0.wav") continue;
      const int digit = base[0] - '0';
      if (digit > 5 || fs::exists(dir_ / (std::to_string(digit) + ".wav"))) continue;
      const std::string bytes = tar.substr(m.offset, m.size);
      spikessm::testing::write_file(dir_ / (std::to_string(digit) + ".wav"), bytes);
      auto wav = spikessm::decode_wav_mono(bytes, base);
      std::string raw;
      for (float s : wav.samples) {
        const auto v = uint16_t(int16_t(std::lround(s * 32768.0f)));
        raw.push_back(char(v & 0xff));
        raw.push_back(char(v >> 8));
      }
      spikessm::testing::write_file(dir_ / (std::to_string(digit) + ".raw"), raw);
      samples_.push_back(wav.samples);
    }
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override { SPIKESSM_SKIP_UNLESS_EXISTS(fsdd_tar()); }
  static std::string ckpt(const std::string& which) {
    return (dir_ / which / "checkpoint.pt").string();
  }
  static fs::path dir_;
  static std::vector<std::vector<float>> samples_;
};
fs::path StreamCli::dir_;
std::vector<std::vector<float>> StreamCli::samples_;

TEST_F(StreamCli, RealRecordingsStreamToTheParallelPrediction) {
  ASSERT_EQ(samples_.size(), 6u);
  auto tm = spikessm::load_trained_model(ckpt("causal"));
  auto model = std::dynamic_pointer_cast<spikessm::SequenceClassifierImpl>(tm.classifier);
  ASSERT_TRUE(model);
  for (size_t i = 0; i < samples_.size(); ++i) {
    SCOPED_TRACE("digit " + std::to_string(i));
    // The parallel forward of the input the task builds (pool 4, L = 512, zero padded).
    torch::Tensor probs;
    {
      torch::NoGradGuard ng;
      auto x = spikessm::fsdd_signal(samples_[i], 2048, 4, false).unsqueeze(0);  // (1, 512, 1)
      probs = torch::softmax(model->forward(x), -1)[0].to(torch::kDouble);
    }
    const std::string wav = (dir_ / (std::to_string(i) + ".wav")).string();
    auto r = run_cli("stream --checkpoint " + ckpt("causal") + " --input " + wav +
                     " --length 512 --chunk 100 --json");
    ASSERT_EQ(r.code, 0) << r.out;
    auto fin = last_event(r.out, "final");
    ASSERT_FALSE(fin.is_null()) << r.out;
    EXPECT_EQ(fin["class"].get<int64_t>(), probs.argmax().item<int64_t>());
    EXPECT_EQ(fin["steps_since_reset"].get<int64_t>(), 512);
    for (int64_t c = 0; c < probs.size(0); ++c)
      EXPECT_NEAR(fin["probs"][size_t(c)].get<double>(), probs[c].item<double>(), 1e-5);
    // The same samples as raw 16-bit PCM on stdin, read in other chunks.
    const std::string raw = (dir_ / (std::to_string(i) + ".raw")).string();
    auto p =
        run_cli("stream --checkpoint " + ckpt("causal") +
                " --input - --format s16le --rate 8000 --length 512 --chunk 33 --json < " + raw);
    ASSERT_EQ(p.code, 0) << p.out;
    auto fin2 = last_event(p.out, "final");
    ASSERT_FALSE(fin2.is_null()) << p.out;
    EXPECT_EQ(fin2["class"], fin["class"]);
    for (size_t c = 0; c < fin["probs"].size(); ++c)
      EXPECT_NEAR(fin2["probs"][c].get<double>(), fin["probs"][c].get<double>(), 1e-6);
  }
}

// Log-mel input: the stream computes the frames from the samples as they arrive, with a
// state saved between two reads that split a frame; the parallel forward reads the task's frames.
TEST_F(StreamCli, LogMelRecordingsStreamToTheParallelPrediction) {
  ASSERT_EQ(samples_.size(), 6u);
  auto tm = spikessm::load_trained_model(ckpt("logmel"));
  auto model = std::dynamic_pointer_cast<spikessm::SequenceClassifierImpl>(tm.classifier);
  ASSERT_TRUE(model);
  spikessm::AudioFeatureOptions fe;
  fe.kind = spikessm::AudioFeatures::LogMel;
  for (size_t i = 0; i < samples_.size(); i += 2) {
    SCOPED_TRACE("digit " + std::to_string(i));
    torch::Tensor probs;
    {
      torch::NoGradGuard ng;
      auto x = spikessm::audio_steps(samples_[i], 2048, fe).unsqueeze(0);  // (1, 25, 40)
      probs = torch::softmax(model->forward(x), -1)[0].to(torch::kDouble);
    }
    const std::string raw = (dir_ / (std::to_string(i) + ".raw")).string();
    const std::string bytes = spikessm::read_file_bytes(raw);
    const size_t cut = 2 * 1001;  // mid-frame
    spikessm::testing::write_file(dir_ / "lm_head.raw", bytes.substr(0, cut));
    spikessm::testing::write_file(dir_ / "lm_tail.raw", bytes.substr(cut));
    const std::string base = "stream --checkpoint " + ckpt("logmel") +
                             " --input - --format s16le --rate 8000 --json --chunk 7";
    const std::string state = (dir_ / "lm_state.bin").string();
    auto a = run_cli(base + " --state-out " + state + " < " + (dir_ / "lm_head.raw").string());
    ASSERT_EQ(a.code, 0) << a.out;
    auto b = run_cli(base + " --length 13 --state-in " + state + " < " +
                     (dir_ / "lm_tail.raw").string());
    ASSERT_EQ(b.code, 0) << b.out;
    auto fin = last_event(b.out, "final");
    ASSERT_FALSE(fin.is_null()) << b.out;
    EXPECT_EQ(fin["steps_since_reset"].get<int64_t>(), 25);  // 12 frames + 13 from the state
    EXPECT_EQ(fin["class"].get<int64_t>(), probs.argmax().item<int64_t>());
    for (int64_t c = 0; c < probs.size(0); ++c)
      EXPECT_NEAR(fin["probs"][size_t(c)].get<double>(), probs[c].item<double>(), 1e-5);
    // The WAV file in one go gives the same.
    auto w = run_cli("stream --checkpoint " + ckpt("logmel") + " --input " +
                     (dir_ / (std::to_string(i) + ".wav")).string() + " --length 25 --json");
    ASSERT_EQ(w.code, 0) << w.out;
    auto fin2 = last_event(w.out, "final");
    for (int64_t c = 0; c < probs.size(0); ++c)
      EXPECT_NEAR(fin2["probs"][size_t(c)].get<double>(), probs[c].item<double>(), 1e-5);
  }
}

TEST_F(StreamCli, SavedStateResumesToTheSameDecision) {
  ASSERT_FALSE(samples_.empty());
  // The first 1001 bytes-worth of samples (an odd sample count: a pooling window is left
  // pending), then the rest from the saved state.
  const std::string raw = spikessm::read_file_bytes((dir_ / "3.raw").string());
  const size_t cut = 2 * 1001;
  spikessm::testing::write_file(dir_ / "head.raw", raw.substr(0, cut));
  spikessm::testing::write_file(dir_ / "tail.raw", raw.substr(cut));
  const std::string base = "stream --checkpoint " + ckpt("causal") +
                           " --input - --format s16le --rate 8000 --json --chunk 64";
  auto whole = run_cli(base + " < " + (dir_ / "3.raw").string());
  ASSERT_EQ(whole.code, 0) << whole.out;
  const std::string state = (dir_ / "state.bin").string();
  auto a = run_cli(base + " --state-out " + state + " < " + (dir_ / "head.raw").string());
  ASSERT_EQ(a.code, 0) << a.out;
  auto b = run_cli(base + " --state-in " + state + " < " + (dir_ / "tail.raw").string());
  ASSERT_EQ(b.code, 0) << b.out;
  auto f1 = last_event(whole.out, "final"), f2 = last_event(b.out, "final");
  EXPECT_EQ(f1["steps_since_reset"], f2["steps_since_reset"]);
  EXPECT_EQ(f1["class"], f2["class"]);
  for (size_t c = 0; c < f1["probs"].size(); ++c)
    EXPECT_NEAR(f1["probs"][c].get<double>(), f2["probs"][c].get<double>(), 1e-6);
}

TEST_F(StreamCli, BadInputsAreOneLineAndExitTwo) {
  const std::string wav = (dir_ / "1.wav").string(), raw = (dir_ / "1.raw").string();
  // A 16 kHz WAV: the same samples with the header's rate (and byte rate) changed.
  std::string w16 = spikessm::read_file_bytes(wav);
  const uint32_t rate = 16000, byte_rate = 32000;
  std::memcpy(&w16[24], &rate, 4);
  std::memcpy(&w16[28], &byte_rate, 4);
  spikessm::testing::write_file(dir_ / "16k.wav", w16);
  // A damaged state file.
  auto ok = run_cli("stream --checkpoint " + ckpt("causal") + " --input " + wav + " --state-out " +
                    (dir_ / "good.bin").string());
  ASSERT_EQ(ok.code, 0) << ok.out;
  std::string st = spikessm::read_file_bytes((dir_ / "good.bin").string());
  st[st.size() - 10] ^= 1;
  spikessm::testing::write_file(dir_ / "bad.bin", st);
  // An odd number of bytes: the stream ends inside an s16le sample.
  spikessm::testing::write_file(dir_ / "odd.raw", spikessm::read_file_bytes(raw).substr(0, 4001));
  const std::string c = "stream --checkpoint " + ckpt("causal");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {c + " --input " + (dir_ / "16k.wav").string(), "sample rate 16000 Hz"},
      {c + " --input - --format s16le --rate 16000 < " + raw, "--rate: 16000 Hz"},
      {c + " --input - --format s24le --rate 8000 < " + raw, "--format: 's24le'"},
      {c + " --input - --rate 8000 < " + raw, "--format: is required"},
      {c + " --input - --format s16le --rate 8000 < " + (dir_ / "odd.raw").string(),
       "ends inside a sample"},
      {c + " --input " + wav + " --format s16le", "--format: and --rate describe raw"},
      {c + " --input " + (dir_ / "1.txt").string(), "--input: '"},
      {c + " --input " + wav + " --state-in " + (dir_ / "bad.bin").string(), "bad.bin: "},
      {c + " --input " + wav + " --detect --min-steps 100 --window 50", "--window: "},
      {"stream --checkpoint " + ckpt("bidi") + " --input " + wav, "model.bidirectional: "},
  };
  for (const auto& [args, expect] : cases) {
    SCOPED_TRACE(args);
    auto r = run_cli(args);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(lines(r.out), 1) << r.out;
    EXPECT_NE(r.out.find(expect), std::string::npos) << r.out;
  }
}

TEST_F(StreamCli, DetectionModeDecidesAndResets) {
  // Two recordings back to back: a threshold every output reaches (0.05 < any top
  // probability over 10 classes) decides at the first check after min-steps, then resets.
  std::string both = spikessm::read_file_bytes((dir_ / "1.raw").string()) +
                     spikessm::read_file_bytes((dir_ / "2.raw").string());
  spikessm::testing::write_file(dir_ / "both.raw", both);
  auto r = run_cli("stream --checkpoint " + ckpt("causal") +
                   " --input - --format s16le --rate 8000 --json --detect --threshold 0.05"
                   " --min-steps 200 --window 400 --chunk 50 < " +
                   (dir_ / "both.raw").string());
  ASSERT_EQ(r.code, 0) << r.out;
  int detections = 0;
  size_t p = 0;
  while ((p = r.out.find("\"event\":\"detection\"", p)) != std::string::npos) ++detections, ++p;
  const int64_t steps = int64_t(both.size() / 2 / 4);
  EXPECT_EQ(detections, steps / 200);  // every 200 steps exactly (chunks of 50)
  auto last = last_event(r.out, "detection");
  EXPECT_EQ(last["steps_since_reset"].get<int64_t>(), 200);
}

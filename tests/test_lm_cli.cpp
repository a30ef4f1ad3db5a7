// The language-model commands end to end on tiny Shakespeare: train learns (bits per byte
// well below the 8 of a uniform guess), eval reads the checkpoint back to the same numbers,
// a resumed run ends with weights bit-identical to the uninterrupted one's, generate streams, and a
// saved state resumes generation exactly; bad flags exit 2 with one line.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/train/trained_model.h"
#include "test_util.h"

using spikessm::read_file_bytes;
using spikessm::testing::run_cli;
using spikessm::testing::scratch_dir;
using spikessm::testing::shared_data_dir;

namespace {

std::string train_args(const std::string& out, int64_t steps,
                       const std::string& data = shared_data_dir() + "/tinyshakespeare") {
  return "train --set model.family=spiking_ssm_lm lm.data_dir=" + data +
         " lm.tokenizer=byte lm.context=64 model.d_model=32 model.d_state=16 "
         "model.n_layers=2 train.batch_size=8 train.lr=0.005 train.weight_decay=0 "
         "train.warmup_steps=5 "
         "train.max_steps=" +
         std::to_string(steps) +
         " train.checkpoint_every=20 train.log_every=10 "
         "train.eval_batch_size=64 train.threads=2 train.out_dir=" +
         out;
}

nlohmann::json stats(const std::string& dir) {
  return nlohmann::json::parse(read_file_bytes(dir + "/lm_stats.json"));
}

int count_lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

// The generated text without the statistics line generate prints on stderr (timings vary).
std::string text_only(std::string s) {
  const size_t p = s.find("prompt: ");
  if (p != std::string::npos) s.erase(p, s.find('\n', p) + 1 - p);
  return s;
}

}  // namespace

class LmCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(shared_data_dir() + "/tinyshakespeare")) return;
    dir_ = scratch_dir("lm_cli").string();
    auto r = run_cli(train_args(dir_ + "/a", 80));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  void SetUp() override { SPIKESSM_SKIP_UNLESS_EXISTS(shared_data_dir() + "/tinyshakespeare"); }
  static std::string dir_;
};
std::string LmCli::dir_;

TEST_F(LmCli, TrainLearnsAndEvalAgrees) {
  auto s = stats(dir_ + "/a");
  EXPECT_LT(s["bits_per_byte"].get<double>(), 4.5);  // uniform over bytes: 8
  EXPECT_GT(s["mean_spiking_rate"].get<double>(), 0.0);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/a/tokenizer.json"));
  auto r = run_cli("eval --checkpoint " + dir_ + "/a/checkpoint.pt --json " + dir_ + "/eval.json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("bits per byte"), std::string::npos) << r.out;
  auto e = nlohmann::json::parse(read_file_bytes(dir_ + "/eval.json"));
  EXPECT_DOUBLE_EQ(e["bits_per_byte"].get<double>(), s["bits_per_byte"].get<double>());
  EXPECT_DOUBLE_EQ(e["mean_spiking_rate"].get<double>(), s["mean_spiking_rate"].get<double>());
  // Sliding windows (64 tokens moved by 16) through the CLI: the same targets scored, each with
  // >= 48 bytes of history instead of 0..63, so a different total (this barely trained model
  // uses little context: SpikingSsmLm.SlidingWindowEvaluationMatchesPerTargetWindows checks the
  // values themselves).
  auto w = run_cli("eval --checkpoint " + dir_ +
                   "/a/checkpoint.pt --set lm.eval_stride=16 --json " + dir_ + "/eval16.json");
  ASSERT_EQ(w.code, 0) << w.out;
  auto e16 = nlohmann::json::parse(read_file_bytes(dir_ + "/eval16.json"));
  EXPECT_EQ(e16["tokens"].get<int64_t>(), e["tokens"].get<int64_t>());
  EXPECT_NE(e16["bits_per_byte"].get<double>(), e["bits_per_byte"].get<double>());
  auto bad = run_cli("eval --checkpoint " + dir_ + "/a/checkpoint.pt --set lm.eval_stride=65");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_EQ(count_lines(bad.out), 1) << bad.out;
  EXPECT_NE(bad.out.find("lm.eval_stride"), std::string::npos) << bad.out;
}

TEST_F(LmCli, ResumeIsBitIdentical) {
  // The run's checkpoint.prev.pt is its state at step 60; resuming from it must end where it ended.
  const std::string b = dir_ + "/b";
  std::filesystem::create_directories(b);
  for (auto f : {"tokenizer.json", "config.toml", "metrics.jsonl"})
    std::filesystem::copy_file(dir_ + "/a/" + f, b + "/" + f);
  std::filesystem::copy_file(dir_ + "/a/checkpoint.prev.pt", b + "/checkpoint.pt");
  auto r = run_cli(train_args(b, 80) + " --resume");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("at step 60"), std::string::npos) << r.out;
  // The weights, bit for bit. (Not the final test loss: its float sums can differ in the 8th
  // digit between two processes of the same run when the machine is loaded, resumed or not.)
  auto ra = spikessm::load_trained_model(dir_ + "/a/checkpoint.pt");
  auto rb = spikessm::load_trained_model(b + "/checkpoint.pt");
  for (const bool buffers : {false, true}) {
    const auto pa = buffers ? ra.lm->named_buffers() : ra.lm->named_parameters();
    const auto pb = buffers ? rb.lm->named_buffers() : rb.lm->named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (const auto& item : pa)
      EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  }
  EXPECT_NEAR(stats(b)["nll_per_token"].get<double>(),
              stats(dir_ + "/a")["nll_per_token"].get<double>(), 1e-6);
}

TEST_F(LmCli, GenerateStreamsAndStateResumes) {
  const std::string ck = " --checkpoint " + dir_ + "/a/checkpoint.pt";
  auto whole =
      run_cli("generate" + ck + " --prompt 'ROMEO:' --max-tokens 40 --temperature 0 2>/dev/null");
  ASSERT_EQ(whole.code, 0) << whole.out;
  ASSERT_EQ(whole.out.rfind("ROMEO:", 0), 0u) << whole.out;
  auto first =
      run_cli("generate" + ck + " --prompt 'ROMEO:' --max-tokens 15 --temperature 0 --state-out " +
              dir_ + "/st.bin 2>/dev/null");
  ASSERT_EQ(first.code, 0) << first.out;
  auto rest = run_cli("generate" + ck + " --max-tokens 25 --temperature 0 --state-in " + dir_ +
                      "/st.bin 2>/dev/null");
  ASSERT_EQ(rest.code, 0) << rest.out;
  // Both end with the newline generate prints last.
  const std::string a = text_only(first.out), b = text_only(rest.out);
  EXPECT_EQ(a.substr(0, a.size() - 1) + b, text_only(whole.out));
  const std::string sample =
      "generate" + ck + " --prompt 'A' --max-tokens 30 --temperature 0.8 --top-k 20 --top-p 0.9";
  auto sampled = run_cli(sample + " --seed 4");
  ASSERT_EQ(sampled.code, 0) << sampled.out;
  EXPECT_NE(sampled.out.find("generated: 30 tokens"), std::string::npos) << sampled.out;
  // The seed decides the text (stdout only: the statistics line carries timings).
  EXPECT_EQ(text_only(run_cli(sample + " --seed 4").out), text_only(sampled.out));
  EXPECT_NE(text_only(run_cli(sample + " --seed 5").out), text_only(sampled.out));
}

TEST_F(LmCli, BadFlagsExit2WithOneLine) {
  const std::string ck = " --checkpoint " + dir_ + "/a/checkpoint.pt";
  std::ofstream(dir_ + "/junk.bin") << "not a state";
  for (const std::string& args : std::vector<std::string>{
           "--prompt a --top-p 0", "--prompt a --top-p 1.5", "--prompt a --temperature -1",
           "--prompt a --top-k -2", "--prompt a --max-tokens -5", "--max-tokens 5",
           "--prompt a --state-in " + dir_ + "/junk.bin",
           "--prompt a --state-in " + dir_ + "/missing.bin", "--prompt a --max-tokens x"}) {
    auto r = run_cli("generate" + ck + " " + args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
    EXPECT_EQ(count_lines(r.out), 1) << args << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("error: ", 0), 0u) << r.out;
  }
  auto r = run_cli("generate --checkpoint " + dir_ + "/nope.pt --prompt a");
  EXPECT_EQ(r.code, 2) << r.out;
  auto t = run_cli(train_args(dir_ + "/c", 5, dir_ + "/nowhere"));
  EXPECT_EQ(t.code, 2) << t.out;
}

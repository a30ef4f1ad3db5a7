// Bad input through the real command line: one clear line, exit code 2, nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "test_util.h"

using spikessm::testing::run_cli;
namespace fs = std::filesystem;

namespace {

struct BadCase {
  std::string args;      // after the binary; {dir} is the scratch directory
  std::string expected;  // a fragment the error line must contain
};

std::string fill(std::string s, const std::string& dir) {
  for (size_t p; (p = s.find("{dir}")) != std::string::npos;) s.replace(p, 5, dir);
  return s;
}

}  // namespace

TEST(CliErrors, EachBadInputGivesOneLineAndExitCode2) {
  const auto dir = spikessm::testing::scratch_dir("cli_errors");
  std::ofstream(dir / "bad.toml") << "[model]\nd_model = = 3\n";
  std::ofstream(dir / "unknown.toml") << "[model]\nwidth = 3\n";
  std::ofstream(dir / "range.toml") << "[model]\ndropout = 2.0\n";
  std::ofstream(dir / "notckpt.pt") << "this is not a checkpoint";
  fs::create_directories(dir / "emptydata");
  std::ofstream(dir / "emptydata" / "train-images-idx3-ubyte") << "junk";
  const std::string out = " --set train.out_dir={dir}/run";
  const std::vector<BadCase> cases = {
      {"train --config {dir}/missing.toml" + out, "cannot open config file"},
      {"train --config {dir}/bad.toml" + out, "bad.toml:2"},
      {"train --config {dir}/unknown.toml" + out, "unknown key 'model.width'"},
      {"train --config {dir}/range.toml" + out, "model.dropout = 2 is out of range"},
      {"train --set model.d_model=-4" + out, "out of range"},
      {"train --set model.d_state=7" + out, "must be even"},
      {"train --set model.neuron=magic" + out, "is not one of bptt, sltt"},
      {"train --set train.lr=fast" + out, "is not a number"},
      {"train --set data.dir={dir}/nodata" + out, "nodata"},
      {"train --set data.dir={dir}/emptydata" + out, "emptydata"},
      {"train --set data.dataset=mnist" + out, "data.dir"},
      {"train --bogus-flag" + out, "bogus-flag"},
      {"train --set data.train_limit=10 --set train.batch_size=32" + out, "exceeds the 10 training samples"},
      {"eval --checkpoint {dir}/none.pt", "checkpoint file not found"},
      {"eval --checkpoint {dir}/notckpt.pt", "corrupt or truncated"},
      {"eval", "--checkpoint is required"},
  };
  for (const auto& c : cases) {
    auto r = run_cli(fill(c.args, dir.string()));
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.args << "\n" << r.out;
    EXPECT_FALSE(fs::exists(dir / "run")) << c.args << ": left files behind";
  }
}

TEST(CliErrors, HelpExitsZero) {
  for (const char* args : {"--help", "train --help", "eval --help"}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.code, 0) << args;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args;
  }
  auto r = run_cli("train --help-config");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("model.d_state"), std::string::npos);
}

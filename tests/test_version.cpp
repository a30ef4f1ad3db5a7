// The version and git commit of this build: what `spikessm --version` prints, how the build
// finds the commit (also without git), and every place a run records them (config.toml,
// metrics.jsonl, checkpoints).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "spikessm/common/version.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// The output of a command without user input (test only).
std::string output_of(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

TEST(Version, IsTheProjectVersionAndTheCommitOfTheSourceTree) {
  EXPECT_EQ(std::string(version()), SPIKESSM_PROJECT_VERSION);
  EXPECT_TRUE(std::regex_match(version(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+"))) << version();
  const std::string commit = git_commit();
  EXPECT_TRUE(std::regex_match(commit, std::regex("unknown|[0-9a-f]{12}(-dirty)?"))) << commit;
  EXPECT_EQ(version_line(), std::string("spikessm ") + version() + " (commit " + commit + ")");
  // In a git checkout, the build took HEAD's commit (a build runs the script again, so a
  // commit made since the last build is the only way these differ).
  const std::string head =
      output_of("git -C \"" SPIKESSM_SOURCE_DIR "\" rev-parse --short=12 HEAD 2>/dev/null");
  if (head.empty()) GTEST_SKIP() << "no git checkout here: the commit is " << commit;
  EXPECT_EQ(commit.substr(0, 12), head);
}

TEST(Version, CommandLinePrintsIt) {
  const auto r = spikessm::testing::run_cli("--version");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, version_line() + "\n");
}

// The script that writes the version source: "unknown" outside a git checkout (a release
// tarball), and the version it is given.
TEST(Version, BuildScriptSaysUnknownWithoutGit) {
  const auto dir = spikessm::testing::scratch_dir("version_nogit");
  const fs::path out = dir / "version.cpp";
  const std::string cmd =
      std::string("\"") + SPIKESSM_CMAKE_COMMAND + "\" -DSOURCE_DIR=" + dir.string() +
      " -DINPUT=" SPIKESSM_SOURCE_DIR "/cmake/version.cpp.in" + " -DOUTPUT=" + out.string() +
      " -DSPIKESSM_VERSION=9.8.7 -P " SPIKESSM_SOURCE_DIR "/cmake/git_commit.cmake 2>&1";
  EXPECT_EQ(output_of(cmd), "");
  const std::string text = slurp(out);
  EXPECT_NE(text.find("return \"9.8.7\";"), std::string::npos) << text;
  EXPECT_NE(text.find("return \"unknown\";"), std::string::npos) << text;
}

// A run records the version in config.toml (a comment: the file still reads back as a
// config), in metrics.jsonl (a "run" line each time the run starts or resumes) and in its
// checkpoints.
TEST(Version, RunDirectoryAndCheckpointsRecordIt) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("version_run");
  Config c;
  c.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  for (const char* kv : {"data.pool=2", "data.train_limit=64", "data.test_limit=32",
                         "model.n_layers=1", "model.d_model=8", "model.d_state=4",
                         "train.batch_size=32", "train.max_steps=1", "train.threads=2"})
    c.set(kv);
  c.set("train.out_dir=" + (dir / "run").string());
  run_training(c, {});
  EXPECT_EQ(first_line(dir / "run" / "config.toml"), "# written by " + version_line());
  Config back;
  back.merge_file((dir / "run" / "config.toml").string());
  EXPECT_EQ(back.to_toml(), c.to_toml());

  auto run_lines = [&] {
    std::vector<nlohmann::json> lines;
    std::ifstream in(dir / "run" / "metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.value("kind", "") == "run") lines.push_back(j);
    }
    return lines;
  };
  auto runs = run_lines();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(first_line(dir / "run" / "metrics.jsonl"), runs[0].dump());
  EXPECT_EQ(runs[0].at("spikessm_version"), version());
  EXPECT_EQ(runs[0].at("git_commit"), git_commit());
  EXPECT_EQ(runs[0].at("step"), 0);
  EXPECT_EQ(runs[0].at("resumed"), false);

  const auto meta = read_checkpoint_meta((dir / "run" / "checkpoint.pt").string());
  EXPECT_EQ(meta.spikessm_version, version());
  EXPECT_EQ(meta.git_commit, git_commit());

  // Resumed for one more step: a second line says which build continued it.
  c.set("train.max_steps=2");
  TrainRunOptions resume;
  resume.resume = true;
  run_training(c, resume);
  runs = run_lines();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].at("step"), 1);
  EXPECT_EQ(runs[1].at("resumed"), true);
  EXPECT_EQ(runs[1].at("spikessm_version"), version());
}

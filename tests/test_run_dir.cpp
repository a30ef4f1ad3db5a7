// The run directory: a new run replaces nothing until its first checkpoint is on disk (an
// --overwrite stopped or killed early leaves the old run whole, and --resume continues it), a
// failed fresh run leaves no directory, the lock follows the directory through the swap, and a
// directory holding other files is not replaced.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "cli_runner.h"
#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/train/checkpoint.h"
#include "test_util.h"
#include "../src/train/run_dir.h"

using namespace spikessm;
using spikessm::testing::run_cli;
namespace fs = std::filesystem;

namespace {

// Two steps of a tiny model on a little Fashion-MNIST.
std::string tiny_run(const fs::path& out) {
  return " --set data.pool=4 --set data.train_limit=64 --set data.test_limit=20"
         " --set model.d_model=8 --set model.d_state=4 --set train.max_steps=2"
         " --set train.out_dir=" +
         out.string();
}

// Every file of a directory with its bytes (the lock aside).
std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != ".lock")
      files[e.path().filename().string()] = read_file_bytes(e.path().string());
  return files;
}

// The staging directories beside out.
std::vector<fs::path> staging_dirs(const fs::path& out) {
  std::vector<fs::path> found;
  const std::string prefix = out.filename().string() + ".staging-";
  for (const auto& e : fs::directory_iterator(out.parent_path()))
    if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path());
  return found;
}

// A run stopped by the numerical guard at its second step, before any checkpoint.
const std::string kStopsEarly =
    " --set train.inject_nonfinite=loss:0-9 --set train.max_bad_steps=1"
    " --set train.checkpoint_every=0";

}  // namespace

TEST(RunDir, OverwriteStoppedBeforeItsFirstCheckpointLeavesTheOldRunWhole) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("rundir_overwrite_stop");
  const fs::path out = dir / "run";
  auto r = run_cli("train" + tiny_run(out));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto before = contents(out);
  ASSERT_TRUE(before.count("checkpoint.pt") && before.count("config.toml"));
  r = run_cli("train --overwrite " + tiny_run(out) + kStopsEarly + " --set model.d_model=16");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no checkpoint was written yet (train.out_dir " + out.string() +
                       " is not changed)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(contents(out), before) << "the old run was touched";
  EXPECT_TRUE(staging_dirs(out).empty()) << "the stopped run's staging directory was left";
  // --resume finds the old run (a d_model 8 checkpoint), not the new config's.
  r = run_cli("train --resume " + tiny_run(out) + " --set model.d_model=16");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("in the checkpoint but"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(RunDir, OverwriteKilledBeforeItsFirstCheckpointLeavesTheOldRunWhole) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("rundir_overwrite_kill");
  const fs::path out = dir / "run";
  auto r = run_cli("train" + tiny_run(out));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto before = contents(out);
  // A long first epoch without checkpoints, killed once it has written its first files.
  const pid_t pid = spikessm::testing::spawn_cli(
      {"train", "--overwrite", "--set", "data.pool=4", "--set", "data.train_limit=30000", "--set",
       "model.d_model=16", "--set", "model.d_state=4", "--set", "train.checkpoint_every=0", "--set",
       "train.out_dir=" + out.string()});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  auto started = [&] {
    for (const auto& s : staging_dirs(out))
      if (fs::exists(s / "metrics.jsonl")) return true;
    return false;
  };
  while (!started() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  EXPECT_EQ(spikessm::testing::wait_exit(pid), -1) << "the run ended before it was killed";
  ASSERT_TRUE(started()) << "the new run wrote nothing within 3 minutes";
  EXPECT_EQ(contents(out), before) << "the old run was touched";
  // The next command on the directory resumes the old run and clears the killed one's files.
  r = run_cli("train --resume" + tiny_run(out));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("resuming " + (out / "checkpoint.pt").string() + " at step 2"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(staging_dirs(out).empty());
  fs::remove_all(dir);
}

TEST(RunDir, OverwriteReplacesTheWholeRunWithItsFirstCheckpoint) {
  // The old run's checkpoint must not stay as the fallback (checkpoint.prev.pt) of the new one.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("rundir_overwrite_done");
  const fs::path out = dir / "run";
  auto r = run_cli("train" + tiny_run(out) + " --set train.checkpoint_every=1");
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_TRUE(fs::exists(out / "checkpoint.prev.pt"));
  r = run_cli("train --overwrite " + tiny_run(out) + " --set model.d_model=16");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(fs::exists(out / "checkpoint.prev.pt")) << "the old run's checkpoint survived";
  EXPECT_NE(read_file_bytes((out / "config.toml").string()).find("d_model = 16"),
            std::string::npos);
  const auto meta = read_checkpoint_meta((out / "checkpoint.pt").string());
  EXPECT_NE(meta.config_toml.find("d_model = 16"), std::string::npos);
  EXPECT_TRUE(staging_dirs(out).empty());
  fs::remove_all(dir);
}

TEST(RunDir, AFreshRunThatFailsLeavesNoDirectory) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("rundir_fresh_fail");
  const fs::path out = dir / "run";
  auto r = run_cli("train" + tiny_run(out) + kStopsEarly);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_FALSE(fs::exists(out)) << "config.toml and metrics.jsonl of a run that never saved";
  EXPECT_TRUE(staging_dirs(out).empty());
  // Bad data: refused before anything is written.
  r = run_cli("train --set data.dir=" + (dir / "nodata").string() + tiny_run(out));
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(staging_dirs(out).empty());
  fs::remove_all(dir);
}

TEST(RunDir, TheLockFollowsTheDirectoryThroughTheSwap) {
  const auto dir = spikessm::testing::scratch_dir("rundir_lock");
  const fs::path out = dir / "run";
  fs::create_directories(out.string() + ".staging-abc123");  // left by a killed run
  {
    RunDir run(out.string());
    EXPECT_FALSE(fs::exists(out.string() + ".staging-abc123"));
    run.start_new_run();
    EXPECT_TRUE(run.staged());
    EXPECT_EQ(fs::path(run.path()).parent_path(), out.parent_path());
    spikessm::testing::write_file(fs::path(run.path()) / "checkpoint.pt", "new");
    EXPECT_THROW(RunDir{out.string()}, InputError);
    run.commit();
    EXPECT_EQ(run.path(), out.string());
    EXPECT_EQ(read_file_bytes((out / "checkpoint.pt").string()), "new");
    EXPECT_TRUE(staging_dirs(out).empty()) << "the replaced directory was left";
    try {
      RunDir second(out.string());
      ADD_FAILURE() << "a second process could lock the swapped-in directory";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("another spikessm process"), std::string::npos);
    }
  }
  RunDir again(out.string());  // released with the run
  fs::remove_all(dir);
}

TEST(RunDir, ADirectoryHoldingOtherFilesIsNotReplaced) {
  const auto dir = spikessm::testing::scratch_dir("rundir_foreign");
  const fs::path out = dir / "run";
  fs::create_directories(out / "report");
  spikessm::testing::write_file(out / "checkpoint.pt", "old");
  {
    RunDir run(out.string());
    try {
      run.start_new_run();
      ADD_FAILURE() << "a directory holding report/ was staged for replacement";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                out.string() +
                    ": holds 'report', which is not a file of a training run; a new run replaces "
                    "the whole directory, so move it away or set train.out_dir to a new directory");
    }
  }
  EXPECT_TRUE(fs::exists(out / "report"));
  EXPECT_TRUE(staging_dirs(out).empty());
  // Nor the directory the process works in.
  const fs::path cwd = fs::current_path();
  fs::remove_all(out / "report");
  fs::current_path(out);
  {
    RunDir run(".");
    EXPECT_THROW(run.start_new_run(), InputError);
  }
  fs::current_path(cwd);
  fs::remove_all(dir);
}

// End-to-end training on real Fashion-MNIST: it learns, and a run killed mid-way and
// resumed ends with exactly the parameters of an uninterrupted run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "spikessm/common/error.h"
#include "spikessm/data/seq_image_task.h"
#include "spikessm/models/build.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"
#include "../src/train/run_dir.h"

using namespace spikessm;
using spikessm::testing::spawn_cli;
using spikessm::testing::wait_exit;
namespace fs = std::filesystem;

namespace {

Config small_config(const fs::path& out) {
  Config c;
  c.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  c.set("data.pool=2");  // L = 196 keeps the test fast
  c.set("model.n_layers=2");
  c.set("model.d_model=32");
  c.set("model.d_state=16");
  c.set("train.batch_size=32");
  c.set("train.lr=0.01");
  c.set("train.warmup_steps=20");
  c.set("train.out_dir=" + out.string());
  c.set("train.threads=2");
  return c;
}

// small_config on a few hundred images with a 100-image test: runs that stop on their budget.
Config short_config(const fs::path& out, int train_limit) {
  Config c = small_config(out);
  c.set("data.train_limit=" + std::to_string(train_limit));
  c.set("data.test_limit=100");
  return c;
}

std::vector<std::string> config_args(const Config& c) {
  // The same config through the CLI: write it out, then --config it.
  const std::string path = c.get_string("train.out_dir") + ".toml";
  std::ofstream(path) << c.to_toml();
  return {"train", "--config", path};
}

std::vector<torch::Tensor> load_params(const Config& c, const std::string& ckpt) {
  torch::manual_seed(0);
  auto model = build_classifier(c, 1, 10);
  load_checkpoint(ckpt, *model, nullptr);
  return model->parameters();
}

}  // namespace

TEST(Training, LearnsFashionMnistWellAboveChance) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_learns");
  Config c = small_config(dir / "run");
  c.set("data.train_limit=4000");
  c.set("data.test_limit=1000");
  c.set("train.epochs=2");
  auto r = run_training(c, TrainRunOptions{});
  EXPECT_GT(r.test.accuracy, 0.6) << "chance is 0.1";
  EXPECT_GT(r.test.ops.mean_rate, 0.0);
  EXPECT_LT(r.test.ops.mean_rate, 1.0);
  EXPECT_TRUE(fs::exists(dir / "run" / "checkpoint.pt"));
  EXPECT_TRUE(fs::exists(dir / "run" / "spike_stats.json"));
  EXPECT_TRUE(fs::exists(dir / "run" / "metrics.jsonl"));
}

TEST(Training, ResumeAfterKillMatchesUninterruptedRun) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_resume_" + std::to_string(getpid()));
  Config a = small_config(dir / "a"), b = small_config(dir / "b");
  for (Config* c : {&a, &b}) {
    c->set("data.train_limit=640");  // 20 steps an epoch
    c->set("data.test_limit=200");
    c->set("train.epochs=2");
    c->set("model.dropout=0.1");  // exercises the per-step RNG
    c->set("train.checkpoint_every=3");
  }
  ASSERT_EQ(wait_exit(spawn_cli(config_args(a))), 0);

  // Kill run b with SIGKILL twice, each time as soon as a new checkpoint lands (plus a few
  // ms, to also hit the middle of the next step or save), resuming in between.
  const fs::path ckpt_b = dir / "b" / "checkpoint.pt";
  int64_t stopped_at = 0;
  for (int kill_no = 0; kill_no < 2; ++kill_no) {
    auto args = config_args(b);
    if (kill_no > 0) args.push_back("--resume");
    pid_t pid = spawn_cli(args);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    int status = 0;
    auto step_on_disk = [&]() -> int64_t {
      try {
        return fs::exists(ckpt_b) ? read_checkpoint_meta(ckpt_b.string()).step : 0;
      } catch (const InputError&) {
        return -1;  // never: the file is renamed into place complete
      }
    };
    while (step_on_disk() <= stopped_at) {
      ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "run b exited before a new checkpoint";
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no checkpoint after 5 minutes";
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(7 * kill_no));
    kill(pid, SIGKILL);
    wait_exit(pid);
    const int64_t now = step_on_disk();
    ASSERT_GT(now, stopped_at) << "the checkpoint on disk is unreadable or went backwards";
    stopped_at = now;
  }
  EXPECT_LT(stopped_at, 40) << "the run finished before it could be interrupted";
  auto args = config_args(b);
  args.push_back("--resume");
  ASSERT_EQ(wait_exit(spawn_cli(args)), 0);
  EXPECT_FALSE(fs::exists(ckpt_b.string() + ".tmp")) << "a temp file was left behind";
  EXPECT_TRUE(fs::exists(dir / "b" / "checkpoint.prev.pt"));

  EXPECT_EQ(read_checkpoint_meta((dir / "b" / "checkpoint.pt").string()).step, 40);
  auto pa = load_params(a, (dir / "a" / "checkpoint.pt").string());
  auto pb = load_params(b, ckpt_b.string());
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::equal(pa[i], pb[i])) << "parameter " << i;
}

TEST(Training, TimeBudgetCountsEveryResumedPart) {
  // train.max_minutes budgets the whole run: a resumed run whose budget is spent trains no
  // further step; a larger budget continues it, and the time keeps adding up.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_budget_" + std::to_string(getpid()));
  Config c = short_config(dir / "run", 640);
  c.set("train.epochs=100");  // 2000 steps: far more than the budget allows
  c.set("train.max_minutes=0.01");
  const auto first = run_training(c, {});
  ASSERT_GT(first.steps, 0);
  ASSERT_LT(first.steps, 2000);
  EXPECT_GE(first.train_seconds, 0.6);
  const auto meta = read_checkpoint_meta((dir / "run" / "checkpoint.pt").string());
  EXPECT_EQ(meta.step, first.steps);
  EXPECT_GE(meta.state.value("train_seconds", 0.0), 0.6);

  TrainRunOptions resume;
  resume.resume = true;
  const auto spent = run_training(c, resume);
  EXPECT_EQ(spent.steps, first.steps) << "the spent budget allowed more steps";
  EXPECT_GE(spent.train_seconds,
            meta.state.value("train_seconds", 0.0));  // continues from the checkpoint

  c.set("train.max_minutes=0.03");
  const auto more = run_training(c, resume);
  EXPECT_GT(more.steps, first.steps);
  EXPECT_GE(more.train_seconds, 1.8);
}

TEST(Training, AnnealToBudgetEndsTheDecayWhenTheBudgetRunsOut) {
  // 20,000 scheduled steps and a 1.8 s budget: on the step schedule the run stops near the
  // peak rate; with train.anneal_to_budget the rate has decayed when the budget runs out.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_anneal_" + std::to_string(getpid()));
  auto last_lr = [&](bool anneal) {
    Config c = short_config(dir / (anneal ? "on" : "off"), 640);
    c.set("train.epochs=1000");
    c.set("train.max_minutes=0.03");
    c.set("train.log_every=1");
    c.set("train.warmup_steps=0");  // the step schedule would still be warming up
    c.set(std::string("train.anneal_to_budget=") + (anneal ? "true" : "false"));
    const auto r = run_training(c, {});
    EXPECT_LT(r.steps, 20000);
    std::ifstream in(dir / (anneal ? "on" : "off") / "metrics.jsonl");
    double lr = -1;
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      if (j.value("kind", "") == "train") lr = j.at("lr").get<double>();
    }
    return lr;
  };
  const double on = last_lr(true), off = last_lr(false);
  EXPECT_GT(off, 0.9 * 0.01) << "the step schedule barely moves in 1.8 s of 20,000 steps";
  EXPECT_GE(on, 0.0);
  // The last step starts at most one step time before the budget ends; 0.25 of the peak is a
  // cosine progress of 2/3, so this holds while a step takes under 0.6 s.
  EXPECT_LT(on, 0.25 * 0.01) << "the rate did not follow the budget";
}

TEST(Training, EpochEvaluationsDoNotSpendTheTimeBudget) {
  // A 3 s budget, 2 steps an epoch (a checkpoint and a test evaluation after each), 2,000 test
  // images: an evaluation costs about two epochs of training. Off the clock, the training time
  // and the evaluations' time add up to less than the run's wall time (the rest is set-up and
  // the final evaluation). If the evaluations counted as training time they would be in both,
  // and the sum would exceed the wall time by their total less the set-up and final evaluation.
  // One run against itself, so a load that changes during the test shifts both sides.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_eval_clock_" + std::to_string(getpid()));
  Config c = short_config(dir / "run", 64);
  c.set("data.test_limit=2000");
  c.set("train.epochs=100000");
  c.set("train.max_minutes=0.05");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_training(c, {});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ifstream in(dir / "run" / "metrics.jsonl");
  double eval_seconds = 0;
  for (std::string line; std::getline(in, line);)
    eval_seconds += nlohmann::json::parse(line).value("eval_seconds", 0.0);
  EXPECT_GT(eval_seconds, 1.5) << "the mid-run evaluations were too quick to tell";
  EXPECT_GE(r.train_seconds, 3.0) << "the run did not spend its budget";
  EXPECT_LE(r.train_seconds + eval_seconds, wall)
      << r.train_seconds << " s of training and " << eval_seconds << " s of evaluations in " << wall
      << " s";
}

TEST(Training, OneProcessAtATimeInARunDirectory) {
  // A second run on a directory another process is training in (simulated by holding its
  // lock, as a running trainer does) stops with one line and touches nothing; once the lock
  // is released the same command trains.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_lock_" + std::to_string(getpid()));
  Config c = short_config(dir / "run", 320);
  {
    RunDir busy((dir / "run").string());
    try {
      run_training(c, {});
      ADD_FAILURE() << "a second run started in a locked directory";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("another spikessm process"), std::string::npos)
          << e.what();
    }
    const auto args = config_args(c);
    auto r = spikessm::testing::run_cli(args[0] + " " + args[1] + " " + args[2] + " --resume");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("another spikessm process"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir / "run" / "metrics.jsonl"));
  }
  EXPECT_FALSE(fs::exists(dir / "run")) << "the lock's empty directory was left behind";
  EXPECT_GT(run_training(c, {}).steps, 0);
  EXPECT_TRUE(fs::exists(dir / "run" / "checkpoint.pt"));
}

TEST(Training, RefusesToOverwriteARunWithoutAFlag) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_overwrite");
  fs::create_directories(dir / "run");
  std::ofstream(dir / "run" / "checkpoint.pt") << "precious";
  auto r = spikessm::testing::run_cli("train --set train.out_dir=" + (dir / "run").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--resume"), std::string::npos);
  std::ifstream in(dir / "run" / "checkpoint.pt");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "precious");
}

TEST(Training, ResumingAFinishedRunLogsItsFinalEvaluationOnce) {
  // A finished run resumed again evaluates again, but metrics.jsonl keeps one final line.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("train_resume_done_" + std::to_string(getpid()));
  Config c = short_config(dir / "run", 160);
  c.set("train.max_steps=3");
  ASSERT_EQ(run_training(c, {}).steps, 3);
  TrainRunOptions resume;
  resume.resume = true;
  for (int i = 0; i < 2; ++i) EXPECT_EQ(run_training(c, resume).steps, 3);
  std::ifstream in(dir / "run" / "metrics.jsonl");
  int finals = 0;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    finals += j.value("kind", "") == "eval" && j.contains("train_seconds");
  }
  EXPECT_EQ(finals, 1);
  fs::remove_all(dir);
}

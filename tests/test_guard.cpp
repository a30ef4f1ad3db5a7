// Numerical guard: a non-finite loss or gradient skips the step (parameters and optimizer
// state untouched), is logged, and too many in a row stop the run with the last good
// checkpoint kept.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "spikessm/common/error.h"
#include "spikessm/models/build.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/guard.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

Config tiny(const fs::path& out) {
  Config c;
  c.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  c.set("data.pool=4");
  c.set("data.train_limit=320");
  c.set("data.test_limit=32");
  c.set("model.n_layers=1");
  c.set("model.d_model=8");
  c.set("model.d_state=4");
  c.set("train.batch_size=32");
  c.set("train.log_every=1");
  c.set("train.out_dir=" + out.string());
  return c;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

}  // namespace

TEST(FaultInjection, ParsesStepsRangesAndRanks) {
  auto f = FaultInjection::parse("loss:3-5,grad:7@1", "k");
  EXPECT_FALSE(f.loss_at(2, 0));
  EXPECT_TRUE(f.loss_at(3, 0));
  EXPECT_TRUE(f.loss_at(5, 1));
  EXPECT_FALSE(f.loss_at(6, 0));
  EXPECT_TRUE(f.grad_at(7, 1));
  EXPECT_FALSE(f.grad_at(7, 0));
  EXPECT_FALSE(FaultInjection::parse("", "k").loss_at(0, 0));
  for (const char* bad :
       {"nan:3", "loss", "loss:", "loss:5-3", "loss:x", "loss:-1", "grad:3@", "loss:3,"})
    EXPECT_THROW(FaultInjection::parse(bad, "k"), InputError) << bad;
}

TEST(NumericalGuard, SkippedStepsLeaveParametersUntouched) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  // Steps 0 and 1 fail (one by its loss, one by a gradient): after 2 steps nothing may have
  // moved; the parameters are exactly the seeded initialisation.
  auto dir = spikessm::testing::scratch_dir("guard_skip_" + std::to_string(getpid()));
  Config c = tiny(dir / "run");
  c.set("train.max_steps=2");
  c.set("train.inject_nonfinite=\"loss:0,grad:1\"");
  run_training(c, TrainRunOptions{});
  torch::manual_seed(uint64_t(c.get_int("train.seed")));
  auto init = build_classifier(c, 1, 10);
  torch::manual_seed(0);
  auto trained = build_classifier(c, 1, 10);
  load_checkpoint((dir / "run" / "checkpoint.pt").string(), *trained, nullptr);
  auto a = init->parameters(), b = trained->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  const std::string m = slurp(dir / "run" / "metrics.jsonl");
  EXPECT_EQ(count(m, "\"reason\":\"non-finite loss\""), 1) << m;
  EXPECT_EQ(count(m, "\"reason\":\"non-finite gradient\""), 1) << m;
  // A good step afterwards trains normally.
  c.set("train.max_steps=3");
  c.set("train.out_dir=" + (dir / "run3").string());
  run_training(c, TrainRunOptions{});
  auto moved = build_classifier(c, 1, 10);
  load_checkpoint((dir / "run3" / "checkpoint.pt").string(), *moved, nullptr);
  EXPECT_FALSE(torch::equal(moved->parameters()[0], a[0]));
}

TEST(NumericalGuard, StopsAfterConsecutiveFailuresKeepingTheLastGoodCheckpoint) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto dir = spikessm::testing::scratch_dir("guard_stop_" + std::to_string(getpid()));
  Config c = tiny(dir / "run");
  c.set("train.checkpoint_every=2");
  c.set("train.max_bad_steps=3");
  c.set("train.inject_nonfinite=\"loss:5-100\"");
  const std::string toml = (dir / "c.toml").string();
  std::ofstream(toml) << c.to_toml();
  auto r = spikessm::testing::run_cli("train --config " + toml);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("error: step 7: loss or gradient not finite for 3 consecutive steps"),
            std::string::npos)
      << r.out;
  // Checkpoints stay on schedule through skipped steps (step 6 holds the parameters of step
  // 5, the last good update); none is written once the guard gives up.
  EXPECT_NE(r.out.find("checkpoint.pt (step 6) is kept"), std::string::npos) << r.out;
  EXPECT_EQ(read_checkpoint_meta((dir / "run" / "checkpoint.pt").string()).step, 6);
  EXPECT_EQ(count(slurp(dir / "run" / "metrics.jsonl"), "\"kind\":\"skip\""), 3);
  EXPECT_EQ(count(r.out, "non-finite loss, step skipped"), 3) << r.out;
}

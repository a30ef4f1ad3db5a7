// Data-parallel training on c10d/Gloo over loopback: gradient averaging against a hand
// computed mean, 2 ranks == 1 process with the same global batch, and a dead or frozen rank
// stops the others with an error within the timeout instead of hanging.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_runner.h"
#include "spikessm/models/build.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/train/checkpoint.h"
#include "spikessm/train/distributed.h"
#include "spikessm/train/trained_model.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Starts the CLI with stdout+stderr to `log`; returns its pid.
pid_t spawn_logged(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(SPIKESSM_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen(log.c_str(), "w", stderr);
    dup2(fileno(stderr), fileno(stdout));
    execv(SPIKESSM_CLI, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `limit` for pid; -1 on timeout (the process is then killed).
int wait_for(pid_t pid, std::chrono::seconds limit) {
  const auto end = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < end) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::vector<std::string> small_run(const fs::path& out, const std::string& extra_steps = "8") {
  return {"train",
          "--set",
          "data.dir=" + spikessm::testing::fashion_mnist_dir(),
          "--set",
          "data.pool=4",
          "--set",
          "data.train_limit=512",
          "--set",
          "data.test_limit=64",
          "--set",
          "model.n_layers=2",
          "--set",
          "model.d_model=16",
          "--set",
          "model.d_state=8",
          "--set",
          "train.batch_size=32",
          "--set",
          "train.max_steps=" + extra_steps,
          "--set",
          "train.warmup_steps=2",
          "--set",
          "train.out_dir=" + out.string()};
}

std::vector<torch::Tensor> params_of(const std::string& ckpt) {
  Config c;
  c.merge_string(read_checkpoint_meta(ckpt).config_toml, ckpt);
  torch::manual_seed(0);
  auto model = build_classifier(c, 1, 10);
  load_checkpoint(ckpt, *model, nullptr);
  return model->parameters();
}

}  // namespace

TEST(Distributed, AllreduceAveragesGradientsInBuckets) {
  // Two ranks as two threads of this process. One parameter is larger than a bucket, so the
  // gradients travel in several buckets; rank r's gradient is (r + 1) * base.
  const int port = free_local_port();
  const int64_t big = Distributed::kBucketBytes / 4 + 1000;
  std::vector<torch::Tensor> got(2);
  std::vector<double> stat0(2);
  auto worker = [&](int rank) {
    Distributed d({rank, 2, "127.0.0.1:" + std::to_string(port), 30});
    std::vector<torch::Tensor> ps = {torch::zeros({big}).requires_grad_(),
                                     torch::zeros({3, 5}).requires_grad_(),
                                     torch::zeros({7}).requires_grad_()};
    for (size_t i = 0; i < ps.size(); ++i)
      ps[i].mutable_grad() =
          torch::arange(ps[i].numel(), torch::kFloat).view(ps[i].sizes()) * float(rank + 1) +
          float(i);
    auto stats = torch::tensor({double(rank + 1), 10.0}, torch::kFloat64);
    d.allreduce_gradients(ps, stats);
    got[rank] = torch::cat({ps[0].grad().view(-1), ps[1].grad().view(-1), ps[2].grad().view(-1)});
    stat0[rank] = stats[0].item<double>();
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  // mean over ranks of (arange * (r + 1) + i) = arange * 1.5 + i
  auto expect = torch::cat({torch::arange(big, torch::kFloat) * 1.5f,
                            torch::arange(15, torch::kFloat) * 1.5f + 1.f,
                            torch::arange(7, torch::kFloat) * 1.5f + 2.f});
  EXPECT_TRUE(torch::equal(got[0], expect));
  EXPECT_TRUE(torch::equal(got[1], expect));
  EXPECT_EQ(stat0[0], 3.0);  // stats are summed, not averaged
  EXPECT_EQ(stat0[1], 3.0);
}

TEST(Distributed, TwoRanksMatchOneProcessWithTheSameGlobalBatch) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("ddp_equal_" + std::to_string(getpid()));
  // Both runs skip step 3 through the guard; in the 2-rank run only rank 1 sees the NaN, so
  // this also checks that the ranks agree on skipping.
  auto one = small_run(dir / "one");
  one.insert(one.end(), {"--set", "train.inject_nonfinite=loss:3", "--threads", "1"});
  auto two = small_run(dir / "two");
  two.insert(two.end(),
             {"--set", "train.inject_nonfinite=loss:3@1", "--nproc", "2", "--threads", "1"});
  ASSERT_EQ(wait_for(spawn_logged(one, dir / "one.log"), std::chrono::seconds(300)), 0)
      << slurp(dir / "one.log");
  ASSERT_EQ(wait_for(spawn_logged(two, dir / "two.log"), std::chrono::seconds(300)), 0)
      << slurp(dir / "two.log");
  EXPECT_NE(slurp(dir / "two.log").find("on 2 ranks"), std::string::npos) << slurp(dir / "two.log");
  const auto a = params_of((dir / "one" / "checkpoint.pt").string());
  const auto b = params_of((dir / "two" / "checkpoint.pt").string());
  const auto init = [&] {  // how far training moved the parameters: the tolerance is relative to it
    Config c;
    c.merge_string(read_checkpoint_meta((dir / "one" / "checkpoint.pt").string()).config_toml, "c");
    torch::manual_seed(uint64_t(c.get_int("train.seed")));
    return build_classifier(c, 1, 10)->parameters();
  }();
  ASSERT_EQ(a.size(), b.size());
  double moved = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-4, 1e-5))
        << "parameter " << i << " max diff " << (a[i] - b[i]).abs().max().item<double>();
    moved = std::max(moved, (a[i] - init[i]).abs().max().item<double>());
    diff = std::max(diff, (a[i] - b[i]).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-3) << "training did not move the parameters";
  EXPECT_LT(diff, moved * 1e-2);
  // The skipped step is logged once, by rank 0.
  const std::string metrics = slurp(dir / "two" / "metrics.jsonl");
  EXPECT_NE(metrics.find("\"kind\":\"skip\""), std::string::npos) << metrics;
}

TEST(Distributed, ADeadRankStopsTheOthersWithinTheTimeout) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("ddp_dead_" + std::to_string(getpid()));
  for (int sig : {SIGKILL, SIGSTOP}) {  // died, or frozen (never answers)
    const std::string tag = sig == SIGKILL ? "kill" : "stop";
    const std::string master = "127.0.0.1:" + std::to_string(free_local_port());
    std::vector<pid_t> pids;
    for (int r = 0; r < 2; ++r) {
      auto args = small_run(dir / tag, "100000");
      args.insert(args.end(), {"--set", "train.epochs=1000", "--set", "train.dist_timeout_s=5",
                               "--set", "train.log_every=1", "--rank", std::to_string(r),
                               "--world-size", "2", "--master", master, "--threads", "1"});
      pids.push_back(spawn_logged(args, dir / (tag + std::to_string(r) + ".log")));
    }
    // Wait until training runs (rank 0 logs its first steps), then take rank 1 away.
    const auto start = Clock::now();
    while (slurp(dir / tag / "metrics.jsonl").find("\"step\":2") == std::string::npos) {
      ASSERT_LT(Clock::now() - start, std::chrono::seconds(120)) << slurp(dir / (tag + "0.log"));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pids[1], sig);
    const auto t_kill = Clock::now();
    const int code = wait_for(pids[0], std::chrono::seconds(60));
    const double took = std::chrono::duration<double>(Clock::now() - t_kill).count();
    kill(pids[1], SIGKILL);
    waitpid(pids[1], nullptr, 0);
    const std::string log = slurp(dir / (tag + "0.log"));
    EXPECT_EQ(code, 1) << tag << ": rank 0 did not stop with an error\n" << log;
    EXPECT_LT(took, 30.0) << tag;
    EXPECT_NE(log.find("failed: another rank exited or did not answer within 5 s"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("error: rank 0: "), std::string::npos) << log;
  }
}

TEST(Distributed, LauncherStopsEveryRankWhenOneDies) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  const auto dir = spikessm::testing::scratch_dir("ddp_launcher_" + std::to_string(getpid()));
  auto args = small_run(dir / "run", "100000");
  args.insert(args.end(), {"--set", "train.epochs=1000", "--set", "train.dist_timeout_s=5", "--set",
                           "train.log_every=1", "--nproc", "2", "--threads", "1"});
  const pid_t launcher = spawn_logged(args, dir / "launcher.log");
  const auto start = Clock::now();
  while (slurp(dir / "run" / "metrics.jsonl").find("\"step\":2") == std::string::npos) {
    ASSERT_LT(Clock::now() - start, std::chrono::seconds(120)) << slurp(dir / "launcher.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The launcher's children are the ranks, in order.
  std::ifstream kids("/proc/" + std::to_string(launcher) + "/task/" + std::to_string(launcher) +
                     "/children");
  pid_t r0 = 0, r1 = 0;
  kids >> r0 >> r1;
  ASSERT_GT(r1, 0);
  kill(r1, SIGKILL);
  const int code = wait_for(launcher, std::chrono::seconds(60));
  const std::string log = slurp(dir / "launcher.log");
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(code, -1) << "the launcher hung\n" << log;
  EXPECT_NE(log.find("rank 1 was killed by signal 9"), std::string::npos) << log;
  EXPECT_NE(kill(r0, 0), 0) << "rank 0 still runs";
}

// Language models train through the same loop, so data parallelism serves them too: 2 ranks
// with the same global batch end where 1 process does.
TEST(Distributed, LanguageModelTwoRanksMatchOneProcess) {
  const std::string data = spikessm::testing::shared_data_dir() + "/tinyshakespeare";
  SPIKESSM_SKIP_UNLESS_EXISTS(data);
  const auto dir = spikessm::testing::scratch_dir("ddp_lm_" + std::to_string(getpid()));
  auto run = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{"train"};
    for (const std::string kv :
         {"model.family=spiking_ssm_lm", "lm.tokenizer=byte", "lm.context=32", "model.d_model=16",
          "model.d_state=8", "model.n_layers=2", "train.batch_size=8", "train.max_steps=6",
          "train.warmup_steps=2", "train.eval_batch_size=64"})
      args.insert(args.end(), {"--set", kv});
    args.insert(args.end(), {"--set", "lm.data_dir=" + data, "--set",
                             "train.out_dir=" + (dir / name).string()});
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_EQ(wait_for(spawn_logged(args, dir / (name + ".log")), std::chrono::seconds(300)), 0)
        << slurp(dir / (name + ".log"));
    return load_trained_model((dir / name / "checkpoint.pt").string());
  };
  auto one = run("one", {"--threads", "1"});
  auto two = run("two", {"--nproc", "2", "--threads", "1"});
  EXPECT_NE(slurp(dir / "two.log").find("on 2 ranks"), std::string::npos) << slurp(dir / "two.log");
  torch::manual_seed(uint64_t(one.cfg.get_int("train.seed")));  // the loop's initialisation
  const auto init = build_language_model(one.cfg, one.tokenizer->vocab_size())->parameters();
  const auto a = one.lm->parameters(), b = two.lm->parameters();
  ASSERT_EQ(a.size(), b.size());
  double moved = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    moved = std::max(moved, (a[i] - init[i]).abs().max().item<double>());
    diff = std::max(diff, (a[i] - b[i]).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-3) << "training did not move the parameters";
  EXPECT_LT(diff, moved * 1e-2) << "2 ranks ended " << diff << " away from 1 process";
}

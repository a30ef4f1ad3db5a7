// The task registry, the token/pair classifier (masked mean pool, retrieval head), a
// budgeted training run of Binary S4D + GSU on the ListOps fixture and `bench lra --resume`.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "spikessm/common/error.h"
#include "spikessm/data/task.h"
#include "spikessm/models/build.h"
#include "spikessm/train/trainer.h"
#include "cli_runner.h"
#include "test_util.h"

using namespace spikessm;

namespace {
Config token_config(const std::string& dataset, const std::string& dir) {
  Config c;
  c.set("data.dataset=" + dataset);
  c.set("data.dir=" + dir);
  c.set("model.n_layers=2");
  c.set("model.d_model=8");
  c.set("model.d_state=4");
  return c;
}
}  // namespace

TEST(LraTask, RegistryLoadsTheFixtures) {
  auto t = load_task(token_config("listops", spikessm::testing::fixture("lra/listops")));
  EXPECT_EQ(t.input, TaskInput::Tokens);
  EXPECT_EQ(t.train_x.sizes(), (std::vector<int64_t>{3, 2049}));
  EXPECT_EQ(t.val_x.size(0), 1);
  EXPECT_EQ(t.d_input, 18);
  auto a = load_task(token_config("aan", spikessm::testing::fixture("lra/aan")));
  EXPECT_EQ(a.input, TaskInput::TokenPairs);
  EXPECT_EQ(a.train_x.sizes(), (std::vector<int64_t>{2, 2, 4000}));
  auto i = load_task(token_config("imdb", spikessm::testing::fixture("lra/aclImdb")));
  EXPECT_EQ(i.train_x.sizes(), (std::vector<int64_t>{3, 4096}));
  EXPECT_EQ(i.train_y.sum().item<int64_t>(), 2);
  EXPECT_THROW(load_task(token_config("listops", "/nonexistent/lra")), InputError);
  auto c = token_config("listops", spikessm::testing::fixture("lra/listops"));
  c.set("model.encoder=linear");
  EXPECT_THROW(build_classifier(c, t.model_input()), InputError);
  c.set("model.encoder=auto");
  c.set("model.mixer=gsu");  // gsu needs the binary_s4d block
  EXPECT_THROW(build_classifier(c, t.model_input()), InputError);
}

TEST(LraTask, MeanPoolIgnoresPadding) {
  // Causal blocks without batch statistics: a sequence's logits do not depend on the
  // padding after it or on a longer neighbour in the batch.
  for (const char* block : {"spiking_ssm", "binary_s4d"}) {
    auto cfg = token_config("listops", spikessm::testing::fixture("lra/listops"));
    cfg.set(std::string("model.block=") + block);
    cfg.set("model.bidirectional=false");
    Task t;
    t.input = TaskInput::Tokens;
    t.d_input = 18;
    t.n_classes = 10;
    torch::manual_seed(1);
    auto model = build_classifier(cfg, t.model_input());
    model->eval();
    auto a = torch::tensor({{4, 9, 10, 7, 2}}, torch::kInt64);
    auto both =
        torch::tensor({{4, 9, 10, 7, 2, 0, 0, 0}, {5, 8, 9, 10, 11, 12, 7, 2}}, torch::kInt64);
    torch::NoGradGuard ng;
    auto alone = model(a);
    auto batch = model(both);
    EXPECT_TRUE(torch::allclose(alone[0], batch[0], 1e-5, 1e-6)) << block;
    // the pooled tower output is the mean over the valid steps only
    auto pooled = model->tower(a);
    auto padded = model->tower(torch::cat({a, torch::zeros({1, 3}, torch::kInt64)}, 1));
    EXPECT_TRUE(torch::allclose(pooled, padded, 1e-5, 1e-6)) << block;
  }
}

TEST(LraTask, RetrievalHeadIsNliOfTwoTowers) {
  auto cfg = token_config("aan", spikessm::testing::fixture("lra/aan"));
  Task t;
  t.input = TaskInput::TokenPairs;
  t.d_input = 259;
  t.n_classes = 2;
  torch::manual_seed(2);
  auto model = build_classifier(cfg, t.model_input());
  model->eval();
  auto x = torch::randint(3, 259, {3, 2, 12}, torch::kInt64);
  torch::NoGradGuard ng;
  auto got = model(x);
  auto u = model->tower(x.select(1, 0)), v = model->tower(x.select(1, 1));
  auto want =
      model->decoder(torch::gelu(model->retrieval_mlp(torch::cat({u, v, u * v, u - v}, -1))));
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-6));
}

TEST(LraTask, BudgetedBinaryGsuRunWritesStatistics) {
  auto out = spikessm::testing::scratch_dir("lra_run");
  auto cfg = token_config("listops", spikessm::testing::fixture("lra/listops"));
  cfg.set("model.block=binary_s4d");
  cfg.set("model.mixer=gsu");
  cfg.set("model.gsu_gelu=true");
  cfg.set("train.batch_size=2");
  cfg.set("train.epochs=3");
  cfg.set("train.out_dir=" + (out / "run").string());
  auto r = run_training(cfg, TrainRunOptions{});
  EXPECT_EQ(r.steps, 3);
  EXPECT_GT(r.test.ops.mean_rate, 0.0);
  EXPECT_LT(r.test.ops.mean_rate, 1.0);
  EXPECT_GT(r.test.ops.energy_uj(true), 0.0);
  nlohmann::json j;
  std::ifstream(out / "run/spike_stats.json") >> j;
  EXPECT_NEAR(j["mean_spiking_rate"].get<double>(), r.test.ops.mean_rate, 1e-12);
  // A time budget stops the run: a budget of ~0 minutes runs no step at all.
  cfg.set("train.max_minutes=0.0000001");
  cfg.set("train.epochs=100");
  cfg.set("train.out_dir=" + (out / "budget").string());
  auto b = run_training(cfg, TrainRunOptions{});
  EXPECT_LT(b.steps, 100);
}

TEST(LraTask, EpochEvaluationsReadTheValidationSplit) {
  // The ListOps fixture with 2 validation rows and 1 test row: the evaluation after each epoch
  // reads the 2 validation rows (the test split is for the end), and says so in the metrics.
  auto data = spikessm::testing::scratch_dir("lra_val_split");
  const std::string src = spikessm::testing::fixture("lra/listops");
  for (const char* f : {"basic_train.tsv", "basic_test.tsv"})
    std::filesystem::copy_file(src + "/" + f, data / f,
                               std::filesystem::copy_options::overwrite_existing);
  std::ofstream(data / "basic_val.tsv")
      << "Source\tTarget\n( ( ( [MAX 2 ) 9 ) ] )\t9\n( ( ( [MIN 4 ) 7 ) ] )\t4\n";
  auto cfg = token_config("listops", data.string());
  cfg.set("train.batch_size=2");
  cfg.set("train.epochs=3");
  cfg.set("train.out_dir=" + (data / "run").string());
  const auto r = run_training(cfg, TrainRunOptions{});
  EXPECT_EQ(r.test.samples, 1);
  std::ifstream in(data / "run" / "metrics.jsonl");
  int evals = 0;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.value("kind", "") != "eval" || j.contains("mean_spiking_rate"))
      continue;  // not an evaluation, or the final test evaluation (with the spike statistics)
    ++evals;
    EXPECT_EQ(j.value("split", ""), "val") << line;
    EXPECT_EQ(j.value("samples", 0), 2) << line;
  }
  EXPECT_EQ(evals, 2);  // after epochs 1 and 2; the last epoch ends with the test evaluation
}

TEST(LraTask, BenchResumeContinuesEachCellWithinItsWholeBudget) {
  // `bench lra` on the ListOps fixture with a 0.3 s budget; run again with --resume it picks up
  // the checkpoint, finds the budget spent and reports the same step count.
  auto dir = spikessm::testing::scratch_dir("bench_lra_resume");
  std::ofstream(dir / "listops_binary_s4d_cpu.toml")
      << "[data]\ndataset = \"listops\"\ndir = \"" << spikessm::testing::fixture("lra/listops")
      << "\"\n"
      << "[model]\nblock = \"binary_s4d\"\nn_layers = 1\nd_model = 8\nd_state = 4\n"
      << "[train]\nbatch_size = 1\nepochs = 100000\ncheckpoint_every = 1\n";
  const std::string args =
      "bench lra --budget-minutes 0.005 --tasks listops --models binary_s4d --threads 1 "
      "--configs " +
      dir.string() + " --runs " + (dir / "runs").string() + " --out " + (dir / "t.md").string();
  auto steps_in_table = [&] {
    std::ifstream in(dir / "t.md");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("| listops |", 0) == 0) {
        std::stringstream cells(line);
        std::string cell;
        for (int i = 0; i < 5; ++i)
          std::getline(cells, cell, '|');  // "", task, model, config, steps
        return int64_t(std::stoll(cell));
      }
    return int64_t(-1);
  };
  auto first = spikessm::testing::run_cli(args);
  ASSERT_EQ(first.code, 0) << first.out;
  const int64_t steps = steps_in_table();
  ASSERT_GT(steps, 0) << first.out;
  auto again = spikessm::testing::run_cli(args + " --resume");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("resuming"), std::string::npos) << again.out;
  EXPECT_EQ(steps_in_table(), steps) << "the resumed cell trained past its spent budget";
}

TEST(LraTask, EveryLraConfigBuildsItsModel) {
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(SPIKESSM_SOURCE_DIR) + "/configs/lra")) {
    Config cfg;
    ASSERT_NO_THROW(cfg.merge_file(e.path().string())) << e.path();
    const std::string ds = cfg.get_string("data.dataset");
    Task t;
    t.input = ds == "aan"                         ? TaskInput::TokenPairs
              : (ds == "listops" || ds == "imdb") ? TaskInput::Tokens
                                                  : TaskInput::Signal;
    t.d_input = t.input == TaskInput::Signal ? 1 : 259;
    t.n_classes = 10;
    auto model = build_classifier(cfg, t.model_input());
    EXPECT_EQ(model->d_model(), cfg.get_int("model.d_model")) << e.path();
    EXPECT_EQ(cfg.get_string("model.block") == "binary_s4d", !model->binary_layers().empty())
        << e.path();
    ++n;
  }
  EXPECT_EQ(n, 36);  // 6 tasks x 3 models x (paper, cpu)
}

// The language model's step engine (models/lm_step_engine.h) against the model itself: in
// float64, over a few hundred tokens, its logits equal the parallel forward's and the step
// path's to ~1e-10 and its membranes equal the step path's after every token (a flipped spike
// would move a membrane by about v_th, and the logits by far more than the tolerance); it
// continues a prompt read in parallel; 1 and 2 threads give the same bits; generate() takes
// it and draws the tokens the step path draws; the same for NeuronSpark; a model collecting
// statistics gets none.
#include <gtest/gtest.h>

#include "spikessm/common/config.h"
#include "spikessm/infer/generate.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/models/lm_step_engine.h"
#include "test_util.h"

using namespace spikessm;

namespace {

// d_state 10: five modes, so the vector loops over modes have a masked tail.
LanguageModel make_lm(bool spiking, const std::string& reset, torch::Dtype dtype,
                      int64_t d_model = 20) {
  Config cfg;
  cfg.set("model.family=\"spiking_ssm_lm\"");
  cfg.set("model.d_model=" + std::to_string(d_model));
  cfg.set("model.d_state=10");
  cfg.set("model.n_layers=3");
  cfg.set("model.spiking=" + std::string(spiking ? "true" : "false"));
  cfg.set("model.reset=\"" + reset + "\"");
  cfg.set("model.tau=0.5");
  torch::manual_seed(3);
  auto m = build_language_model(cfg, 37);
  m->to(dtype);
  m->eval();
  return m;
}

struct Kind {
  bool spiking;
  std::string reset;
};
const std::vector<Kind> kKinds{{true, "hard"}, {true, "soft"}, {false, "hard"}};

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// A small NeuronSpark LM: 3 frames a token, 2 layers, D N = 64 selective neurons a layer.
LanguageModel make_neuronspark(bool spiking, torch::Dtype dtype) {
  Config cfg;
  cfg.set("model.family=\"neuronspark_lm\"");
  cfg.set("neuronspark.d_model=16");
  cfg.set("neuronspark.n_state=4");
  cfg.set("neuronspark.frames=3");
  cfg.set("neuronspark.n_layers=2");
  cfg.set("neuronspark.d_ff=24");
  cfg.set("neuronspark.spiking=" + std::string(spiking ? "true" : "false"));
  torch::manual_seed(4);
  auto m = build_language_model(cfg, 37);
  m->to(dtype);
  m->eval();
  return m;
}

// Over L random tokens (float64): the engine's logits equal the parallel forward's and the
// step path's, and its state every membrane of the step path's, after every token. Spiking
// models must really spike (rate in [min_rate, 1 - min_rate]), so a flipped spike could show.
void expect_engine_follows_model(LanguageModel& m, int64_t L, bool spiking, double min_rate) {
  torch::NoGradGuard ng;
  torch::manual_seed(5);
  const auto ids = torch::randint(0, 37, {1, L}, torch::kLong);
  m->set_collect_stats(true);
  const auto full = m->forward(ids)[0];  // (L, V)
  const double rate = m->stats().mean_rate();
  m->set_collect_stats(false);
  if (spiking) {
    EXPECT_GT(rate, min_rate);
    EXPECT_LT(rate, 1 - min_rate);
  }
  auto engine = LmStepEngine::build(*m);
  ASSERT_TRUE(engine);
  LmState old = m->initial_state(1), mine;
  engine->load_state(old);
  for (int64_t t = 0; t < L; ++t) {
    const auto got = engine->step(ids[0][t].item<int64_t>())[0];
    const auto want = m->step(ids.select(1, t), &old)[0];
    ASSERT_LT(max_diff(got, full[t]), 1e-10) << "token " << t;
    ASSERT_LT(max_diff(got, want), 1e-10) << "token " << t;
    engine->store_state(&mine);
    ASSERT_EQ(mine.tensors.size(), old.tensors.size());
    for (size_t i = 0; i < old.tensors.size(); ++i)
      ASSERT_LT(max_diff(mine.tensors[i], old.tensors[i]), 1e-10) << "token " << t << " " << i;
  }
}

}  // namespace

TEST(LmStepEngine, EqualsTheParallelForwardAndTheStepPathOverThreeHundredTokensInFloat64) {
  for (const auto& k : kKinds) {
    SCOPED_TRACE((k.spiking ? "spiking " : "twin ") + k.reset);
    auto m = make_lm(k.spiking, k.reset, torch::kDouble);
    expect_engine_follows_model(m, 300, k.spiking, 0.05);
  }
}

TEST(LmStepEngine, ContinuesAPromptReadInParallelAndHandsItsStateBack) {
  auto m = make_lm(true, "hard", torch::kDouble);
  torch::NoGradGuard ng;
  torch::manual_seed(6);
  const auto ids = torch::randint(0, 37, {1, 260}, torch::kLong);
  const auto full = m->forward(ids)[0];
  LmState st;
  m->forward_with_state(ids.narrow(1, 0, 100), &st);
  auto engine = LmStepEngine::build(*m);
  engine->load_state(st);
  for (int64_t t = 100; t < 200; ++t)
    ASSERT_LT(max_diff(engine->step(ids.narrow(1, t, 1).view({1}))[0], full[t]), 1e-10);
  engine->store_state(&st);  // the step path carries on from the engine's state
  for (int64_t t = 200; t < 260; ++t)
    ASSERT_LT(max_diff(m->step(ids.select(1, t), &st)[0], full[t]), 1e-10);
}

TEST(LmStepEngine, GivesTheSameBitsAtOneAndTwoThreads) {
  // Wide enough that both the channel loop (64 per task) and the mixing (128 columns per
  // task) split over two threads.
  auto m = make_lm(true, "hard", torch::kFloat, 136);
  torch::NoGradGuard ng;
  const int threads = at::get_num_threads();
  std::vector<torch::Tensor> out[2];
  for (int n : {1, 2}) {
    at::set_num_threads(n);
    auto engine = LmStepEngine::build(*m);
    engine->load_state(m->initial_state(1));
    for (int64_t t = 0; t < 60; ++t) out[n - 1].push_back(engine->step((t * 7) % 37).clone());
  }
  at::set_num_threads(threads);
  for (size_t t = 0; t < out[0].size(); ++t) ASSERT_TRUE(out[0][t].equal(out[1][t])) << t;
}

TEST(LmStepEngine, MatchesTheStepPathInFloat32) {
  auto m = make_lm(true, "hard", torch::kFloat, 64);
  torch::NoGradGuard ng;
  auto engine = LmStepEngine::build(*m);
  LmState st = m->initial_state(1);
  engine->load_state(st);
  auto id = torch::empty({1}, torch::kLong);
  for (int64_t t = 0; t < 200; ++t) {
    id[0] = (t * 11) % 37;
    const auto got = engine->step(id);
    const auto want = m->step(id, &st);
    ASSERT_LT(max_diff(got, want), 1e-3) << t;
    ASSERT_EQ(got.argmax(1).item<int64_t>(), want.argmax(1).item<int64_t>()) << t;
  }
}

TEST(LmStepEngine, GenerateTakesItAndDrawsTheTokensOfTheStepPath) {
  auto m = make_lm(true, "hard", torch::kDouble);
  SamplingOptions o;
  o.seed = 9;
  std::vector<int64_t> toks[2];
  GenState g[2];
  for (int path = 0; path < 2; ++path) {
    // Collecting statistics keeps generate on model.step() (the engine records none).
    m->set_collect_stats(path == 1);
    GenerateStats stats;
    read_prompt(*m, {1, 2, 3, 4, 5}, false, g[path], stats);
    generate_tokens(
        *m, 150, o, g[path], [&](int64_t t) { toks[path].push_back(t); }, stats);
  }
  m->set_collect_stats(false);
  EXPECT_EQ(toks[0], toks[1]);
  EXPECT_LT(max_diff(g[0].next_logits, g[1].next_logits), 1e-10);
  for (size_t i = 0; i < g[0].state.tensors.size(); ++i)
    EXPECT_LT(max_diff(g[0].state.tensors[i], g[1].state.tensors[i]), 1e-10);
}

TEST(LmStepEngine, NeuronSparkEqualsTheParallelForwardAndTheStepPathInFloat64) {
  for (bool spiking : {true, false}) {
    SCOPED_TRACE(spiking ? "spiking" : "twin");
    auto m = make_neuronspark(spiking, torch::kDouble);
    expect_engine_follows_model(m, 200, spiking, 0.02);
  }
}

TEST(LmStepEngine, NeuronSparkContinuesAPromptAndGivesTheSameBitsAtOneAndTwoThreads) {
  auto m = make_neuronspark(true, torch::kFloat);
  torch::NoGradGuard ng;
  torch::manual_seed(6);
  const auto ids = torch::randint(0, 37, {2, 120}, torch::kLong);
  const auto full = m->forward(ids);  // (2, L, V): two sequences at once
  LmState st;
  m->forward_with_state(ids.narrow(1, 0, 60), &st);
  const int threads = at::get_num_threads();
  std::vector<torch::Tensor> out[2];
  for (int n : {1, 2}) {
    at::set_num_threads(n);
    auto engine = LmStepEngine::build(*m);
    engine->load_state(st);
    for (int64_t t = 60; t < 120; ++t) {
      out[n - 1].push_back(engine->step(ids.select(1, t).contiguous()).clone());
      ASSERT_LT(max_diff(out[n - 1].back(), full.select(1, t)), 1e-4) << t;
    }
  }
  at::set_num_threads(threads);
  for (size_t t = 0; t < out[0].size(); ++t) ASSERT_TRUE(out[0][t].equal(out[1][t])) << t;
}

TEST(LmStepEngine, IsNotBuiltForModelsCollectingStatistics) {
  auto ns = make_neuronspark(true, torch::kFloat);
  ns->set_collect_stats(true);
  EXPECT_EQ(LmStepEngine::build(*ns), nullptr);
  ns->set_collect_stats(false);
  EXPECT_NE(LmStepEngine::build(*ns), nullptr);
  auto m = make_lm(true, "hard", torch::kFloat);
  m->set_collect_stats(true);  // statistics come from the step path only
  EXPECT_EQ(LmStepEngine::build(*m), nullptr);
  m->set_collect_stats(false);
  EXPECT_NE(LmStepEngine::build(*m), nullptr);
}

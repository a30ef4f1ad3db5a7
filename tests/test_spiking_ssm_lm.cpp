// spiking_ssm_lm: streaming (step) logits and spikes equal the parallel forward's, prompt
// ingestion + steps equal the whole forward, the S4D closed-form state equals stepping, the
// LIF step equals the fused kernel, and the operation counts follow the measured rates.
#include <gtest/gtest.h>

#include "spikessm/common/error.h"
#include "spikessm/common/config.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/models/spiking_ssm_lm.h"
#include "spikessm/train/lm_eval.h"
#include "test_util.h"

using namespace spikessm;

namespace {

LanguageModel make_lm(bool spiking, const std::string& reset = "hard", int64_t vocab = 37) {
  Config cfg;
  cfg.set("model.family=\"spiking_ssm_lm\"");
  cfg.set("model.d_model=24");
  cfg.set("model.d_state=8");
  cfg.set("model.n_layers=3");
  cfg.set("model.spiking=" + std::string(spiking ? "true" : "false"));
  cfg.set("model.reset=\"" + reset + "\"");
  cfg.set("model.tau=0.5");
  torch::manual_seed(3);
  auto m = build_language_model(cfg, vocab);
  m->to(torch::kDouble);
  m->eval();
  return m;
}

// Logits of step() over every position: (B, L, V).
torch::Tensor stream(LanguageModelImpl& m, const torch::Tensor& ids, LmState st) {
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t < ids.size(1); ++t) out.push_back(m.step(ids.select(1, t), &st));
  return torch::stack(out, 1);
}

double spikes_of(const LanguageModelImpl& m) {
  double s = 0;
  auto r = m.ops_report();
  for (const auto& l : r.layers)
    if (l.firing_rate >= 0) s += l.firing_rate;
  return s;
}

}  // namespace

TEST(SpikingSsmLm, S4DStateAfterEqualsStepping) {
  torch::manual_seed(0);
  S4D s4d(S4DOptions(5, 6));
  s4d->to(torch::kDouble);
  auto u = torch::randn({2, 300, 5}, torch::kDouble);  // longer than one 256-step chunk
  auto st = s4d->initial_state(2);
  for (int64_t t = 0; t < u.size(1); ++t) s4d->step(u.select(1, t), st);
  auto closed = s4d->state_after(u).h;
  EXPECT_LT((closed - st.h).abs().max().item<double>(), 1e-10);
}

TEST(SpikingSsmLm, LifStepEqualsFusedKernel) {
  for (auto dtype : {torch::kFloat, torch::kDouble})
    for (auto reset : {ResetMode::Hard, ResetMode::Soft}) {
      torch::manual_seed(1);
      auto x = torch::randn({3, 50, 17}, dtype) * 1.5;
      LifOptions o;
      o.tau = 0.7f;
      o.reset = reset;
      auto s = lif_multistep(x, o);
      auto v = torch::zeros({3, 17}, dtype);
      std::vector<torch::Tensor> steps;
      for (int64_t t = 0; t < 50; ++t) steps.push_back(lif_step(x.select(1, t), v, o));
      EXPECT_TRUE(torch::equal(torch::stack(steps, 1), s));
      EXPECT_GT(s.mean().item<double>(), 0.05);
    }
}

TEST(SpikingSsmLm, StepEqualsParallelForward) {
  for (bool spiking : {true, false})
    for (const std::string reset : {"hard", "soft"}) {
      if (!spiking && reset == "soft") continue;
      auto m = make_lm(spiking, reset);
      torch::NoGradGuard ng;
      auto ids = torch::randint(0, 37, {2, 40}, torch::kLong);
      m->set_collect_stats(true);
      auto full = m->forward(ids);  // (2, 40, 37)
      const double par_rate = spikes_of(*m);
      m->set_collect_stats(true);
      auto steps = stream(*m, ids, m->initial_state(2));
      const double step_rate = spikes_of(*m);
      EXPECT_LT((steps - full).abs().max().item<double>(), 1e-9)
          << "spiking " << spiking << " " << reset;
      if (spiking) {
        EXPECT_GT(par_rate, 0.05);       // the blocks really spike, so the test can fail
        EXPECT_EQ(par_rate, step_rate);  // identical spike counts in both modes
      }
      // Prompt ingestion in parallel, then steps, equals the whole forward.
      LmState st;
      auto head = m->forward_with_state(ids.narrow(1, 0, 25), &st);
      EXPECT_LT((head - full.narrow(1, 0, 25)).abs().max().item<double>(), 1e-9);
      auto tail = stream(*m, ids.narrow(1, 25, 15), st);
      EXPECT_LT((tail - full.narrow(1, 25, 15)).abs().max().item<double>(), 1e-9);
    }
}

TEST(SpikingSsmLm, TwinHasTheSameSizeAndCausality) {
  auto a = make_lm(true), b = make_lm(false);
  int64_t na = 0, nb = 0;
  for (auto& p : a->parameters()) na += p.numel();
  for (auto& p : b->parameters()) nb += p.numel();
  EXPECT_EQ(na, nb);
  EXPECT_EQ(a->family(), "spiking_ssm_lm");
  EXPECT_TRUE(a->spiking());
  EXPECT_FALSE(b->spiking());
  // Position t sees ids[:, :t+1] only: changing a later token leaves earlier logits alone.
  torch::NoGradGuard ng;
  auto ids = torch::randint(0, 37, {1, 20}, torch::kLong);
  auto ids2 = ids.clone();
  ids2[0][12] = (ids[0][12].item<int64_t>() + 1) % 37;
  auto l1 = a->forward(ids), l2 = a->forward(ids2);
  EXPECT_TRUE(torch::equal(l1.narrow(1, 0, 12), l2.narrow(1, 0, 12)));
  EXPECT_FALSE(torch::equal(l1.narrow(1, 12, 8), l2.narrow(1, 12, 8)));
}

TEST(SpikingSsmLm, OpsFollowMeasuredRates) {
  auto m = make_lm(true);
  torch::NoGradGuard ng;
  m->set_collect_stats(true);
  m->forward(torch::randint(0, 37, {2, 30}, torch::kLong));
  auto r = m->ops_report();
  ASSERT_EQ(r.layers.size(), 3u * 2 + 1);
  const auto& mix = r.layers[1];
  EXPECT_EQ(mix.kind, "AC");
  EXPECT_DOUBLE_EQ(mix.dense_macs, 24.0 * 48.0);
  EXPECT_DOUBLE_EQ(mix.ops, mix.firing_rate * 24.0 * 48.0);
  EXPECT_GT(r.mean_rate, 0.0);
  EXPECT_LT(r.energy_uj(true), r.ann_energy_uj(true));
  EXPECT_EQ(r.layers.back().name, "head");
  EXPECT_DOUBLE_EQ(r.layers.back().ops, 24.0 * 37.0);
}

TEST(SpikingSsmLm, SlidingWindowEvaluationMatchesPerTargetWindows) {
  // evaluate_lm with windows of 8 moved by 3 against an independent reference: each target's
  // log-likelihood from the model run on exactly the tokens its window gives it (the window
  // ending at the last target of its group of 3, or the first window).
  torch::NoGradGuard no_grad;
  auto m = make_lm(true);
  torch::manual_seed(5);
  auto ids = torch::randint(0, 37, {30}, torch::kLong);
  const int64_t C = 8, S = 3, targets = 29;
  double nll = 0;
  for (int64_t p = 0; p < targets; ++p) {  // target p is ids[p + 1]
    const int64_t end = p < C ? std::min(C, targets) : C + ((p - C) / S + 1) * S;
    const int64_t start = std::max<int64_t>(0, std::min(end, targets) - C);
    auto logits = m->forward(ids.narrow(0, start, p + 1 - start).unsqueeze(0));  // (1, l, V)
    nll -= torch::log_softmax(logits[0][-1], -1)[ids[p + 1].item<int64_t>()].item<double>();
  }
  const auto r = evaluate_lm(*m, ids, C, S, 4, 100, 10, false, false);
  EXPECT_EQ(r.tokens, targets);
  EXPECT_NEAR(r.nll_sum, nll, 1e-9 * std::abs(nll));
}

TEST(SpikingSsmLm, ConfigErrors) {
  Config cfg;
  cfg.set("model.family=\"spiking_ssm_lm\"");
  cfg.set("model.bidirectional=true");
  EXPECT_THROW(build_language_model(cfg, 10), InputError);
  Config c2;
  c2.set("model.family=\"spiking_ssm_lm\"");
  c2.set("model.neuron=\"sdn\"");
  EXPECT_THROW(build_language_model(c2, 10), InputError);
  Config c3;
  c3.set("model.family=\"spiking_ssm_lm\"");
  c3.set("model.norm=\"batch\"");
  EXPECT_THROW(build_language_model(c3, 10), InputError);
}

// NeuronSpark LM (papers.md 3): recurrent == parallel (spikes exactly), prefix + steps,
// causality, float64 gradients of the non-spiking twin, parameter count, PonderNet and the
// ops report on hand-checkable cases.
#include "spikessm/models/neuronspark_lm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "spikessm/common/error.h"
#include "spikessm/models/lm_build.h"

namespace spikessm {
namespace {

NeuronSparkLmOptions tiny(bool spiking, int64_t vocab = 7) {
  NeuronSparkLmOptions o(vocab);
  o.d_model(8).n_state(2).frames(3).n_layers(2).d_ff(12).spiking(spiking);
  return o;
}

std::shared_ptr<NeuronSparkLmImpl> make(bool spiking, torch::Dtype dt, uint64_t seed = 1) {
  torch::manual_seed(seed);
  auto m = std::make_shared<NeuronSparkLmImpl>(tiny(spiking));
  m->to(dt);
  return m;
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

void expect_same_spikes(const std::vector<SpikeStats>& a, const std::vector<SpikeStats>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].spikes, b[i].spikes) << "population " << i;
    EXPECT_EQ(a[i].elements, b[i].elements) << "population " << i;
  }
}

class NeuronSparkModes : public ::testing::TestWithParam<bool> {};

// One token at a time with the carried state gives the parallel logits; with spikes on, the
// same spikes in every population (float64 so no rounding sits at a threshold).
TEST_P(NeuronSparkModes, StepEqualsParallel) {
  const bool spiking = GetParam();
  auto m = make(spiking, torch::kDouble);
  torch::NoGradGuard no_grad;
  const auto ids = torch::randint(0, 7, {2, 9}, torch::kLong);
  m->set_collect_stats(true);
  const auto par = m->forward(ids);
  const auto par_spikes = m->spike_tallies();
  m->set_collect_stats(true);
  auto state = m->initial_state(2);
  for (int64_t t = 0; t < 9; ++t) {
    const auto lt = m->step(ids.select(1, t), &state);
    EXPECT_LT(max_abs(lt, par.select(1, t)), 1e-10) << "token " << t;
  }
  expect_same_spikes(m->spike_tallies(), par_spikes);
  if (spiking) {  // the comparison must not be vacuous: some neurons fire, not all
    double s = 0, e = 0;
    for (const auto& t : par_spikes) s += t.spikes, e += t.elements;
    EXPECT_GT(s, 0);
    EXPECT_LT(s, e);
  }
  EXPECT_EQ(state.tensors.size(), 2u * 5 + 1);
}

// Prompt ingestion with state, then steps == the parallel forward of the whole text.
TEST_P(NeuronSparkModes, PrefixWithStateThenStepsEqualsFull) {
  auto m = make(GetParam(), torch::kDouble, 2);
  torch::NoGradGuard no_grad;
  const auto ids = torch::randint(0, 7, {3, 10}, torch::kLong);
  const auto full = m->forward(ids);
  LmState state;
  const auto pre = m->forward_with_state(ids.slice(1, 0, 6), &state);
  EXPECT_LT(max_abs(pre, full.slice(1, 0, 6)), 1e-10);
  for (int64_t t = 6; t < 10; ++t)
    EXPECT_LT(max_abs(m->step(ids.select(1, t), &state), full.select(1, t)), 1e-10) << t;
}

// Changing token t changes no logit before t (bit-exact), and does change position t.
TEST_P(NeuronSparkModes, Causal) {
  auto m = make(GetParam(), torch::kFloat, 3);
  torch::NoGradGuard no_grad;
  auto ids = torch::randint(0, 7, {2, 8}, torch::kLong);
  const auto a = m->forward(ids);
  for (int64_t t : {0, 3, 7}) {
    auto ids2 = ids.clone();
    ids2.select(1, t).add_(1).remainder_(7);
    const auto b = m->forward(ids2);
    EXPECT_TRUE(torch::equal(a.slice(1, 0, t), b.slice(1, 0, t))) << t;
    EXPECT_GT(max_abs(a.select(1, t), b.select(1, t)), 0.0) << t;
  }
}

INSTANTIATE_TEST_SUITE_P(SpikingAndTwin, NeuronSparkModes, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "spiking" : "nonspiking"; });

// Non-spiking twin: autograd gradients of every used parameter == float64 central differences.
TEST(NeuronSparkLm, TwinGradientsMatchFiniteDifferences) {
  auto m = make(false, torch::kDouble, 4);
  const auto ids = torch::randint(0, 7, {2, 4}, torch::kLong);
  const auto r = torch::randn({2, 4, 7}, torch::kDouble);
  auto loss = [&] {  // aux_loss() belongs to the forward just run: sequence the two calls
    auto l = (m->forward(ids) * r).sum();
    return l + 10.0 * m->aux_loss();
  };
  m->zero_grad();
  loss().backward();
  int checked = 0;
  for (const auto& kv : m->named_parameters()) {
    const auto& p = kv.value();
    if (!p.grad().defined()) {  // only the thresholds are idle without spikes
      const auto& n = kv.key();
      EXPECT_TRUE(n.find("v_th") != std::string::npos || n.find("w_th") != std::string::npos ||
                  n.find("b_th") != std::string::npos)
          << n;
      continue;
    }
    torch::NoGradGuard no_grad;
    auto flat = p.view(-1);
    const auto g = p.grad().reshape(-1);
    const int64_t stride = std::max<int64_t>(1, flat.numel() / 4);
    for (int64_t j = 0; j < flat.numel(); j += stride) {
      const double orig = flat[j].item<double>(), eps = 1e-6;
      flat[j] = orig + eps;
      const double up = loss().item<double>();
      flat[j] = orig - eps;
      const double down = loss().item<double>();
      flat[j] = orig;
      const double num = (up - down) / (2 * eps);
      EXPECT_NEAR(g[j].item<double>(), num, 1e-6 * std::max(1.0, std::abs(num)))
          << kv.key() << "[" << j << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

// Parameter count from the architecture by hand; the twin has the same.
TEST(NeuronSparkLm, ParameterCountByHand) {
  const double V = 7, D = 8, N = 2, F = 12, layers = 2, DN = D * N;
  const double block = 4 * DN * D + 2 * D * D + DN * D + 3 * DN;
  const double ffn = 3 * F * D + D * D + 2 * 2 * F;
  const double layer = 2 * D /*norms*/ + 2 * 2 * D /*input PLIFs*/ + block + ffn +
                       2 * (D + 1) /*halts*/ + 2 * D * D /*OutProj*/;
  const double want = V * D + layers * layer + D + 2 * D + D * D + D;
  for (bool spiking : {true, false}) {
    auto m = make(spiking, torch::kFloat);
    double n = 0;
    for (const auto& p : m->parameters()) n += double(p.numel());
    EXPECT_EQ(n, want) << spiking;
  }
}

// PonderNet with w_halt = 0: p = sigmoid(b) for every frame, lambda_k = p (1-p)^(k-1), so
// E[K] = sum_k k q^(k-1) / sum_k q^(k-1) with q = 1 - p; aux_loss = 0.01 E[K].
TEST(NeuronSparkLm, PonderExpectedFramesByHand) {
  auto m = make(true, torch::kDouble, 5);
  {
    torch::NoGradGuard no_grad;
    for (auto& l : m->layers) l->halt_w_block.zero_(), l->halt_w_ffn.zero_();
  }
  const double q = 1 - 1 / (1 + std::exp(3.5));
  double num = 0, den = 0;
  for (int k = 1; k <= 3; ++k) num += k * std::pow(q, k - 1), den += std::pow(q, k - 1);
  m->set_collect_stats(true);
  m->forward(torch::randint(0, 7, {2, 5}, torch::kLong));
  for (double ek : m->expected_frames()) EXPECT_NEAR(ek, num / den, 1e-12);
  EXPECT_NEAR(m->aux_loss().item<double>(), 0.01 * num / den, 1e-12);
}

// Ops report: MACs by hand for the tiny config, AC only for the spike-driven resets, rates in
// [0, 1] equal to the tallies, and the forced cases (never fire / always fire).
TEST(NeuronSparkLm, OpsReportHandChecked) {
  auto m = make(true, torch::kFloat, 6);
  torch::NoGradGuard no_grad;
  m->set_collect_stats(true);
  m->forward(torch::randint(0, 7, {2, 6}, torch::kLong));
  auto r = m->ops_report();
  const double K = 3, D = 8, N = 2, F = 12;
  std::map<std::string, LayerOps> by;
  for (const auto& l : r.layers) by[l.name] = l;
  EXPECT_EQ(by.at("layer0.block.proj").dense_macs, K * D * (4 * D * N + 2 * D));
  EXPECT_EQ(by.at("layer1.block.w_out").dense_macs, K * D * N * D);
  EXPECT_EQ(by.at("layer0.ffn.proj").dense_macs, K * D * (2 * F + D));
  EXPECT_EQ(by.at("layer0.ffn.w_down").dense_macs, K * F * D);
  EXPECT_EQ(by.at("layer0.block.out_proj").dense_macs, D * D);
  EXPECT_EQ(by.at("head").dense_macs, D * 7);
  EXPECT_EQ(by.at("layer0.block.hidden.reset").dense_macs, K * D * N);
  const auto tallies = m->spike_tallies();
  double s = 0, e = 0;
  size_t ti = 0;
  for (const auto& l : r.layers) {
    if (l.kind == "MAC") {
      EXPECT_EQ(l.ops, l.dense_macs) << l.name;
      EXPECT_LT(l.firing_rate, 0) << l.name;
      continue;
    }
    EXPECT_EQ(l.kind, "AC");
    EXPECT_NE(l.name.find(".reset"), std::string::npos);
    EXPECT_GE(l.firing_rate, 0.0);
    EXPECT_LE(l.firing_rate, 1.0);
    EXPECT_DOUBLE_EQ(l.firing_rate, tallies.at(ti).rate()) << l.name;
    EXPECT_DOUBLE_EQ(l.ops, l.firing_rate * l.dense_macs);
    s += tallies[ti].spikes, e += tallies[ti].elements, ++ti;
  }
  EXPECT_EQ(ti, tallies.size());
  EXPECT_DOUBLE_EQ(r.mean_rate, s / e);

  // Thresholds out of reach: nothing fires, every reset costs 0.
  for (auto& kv : m->named_parameters())
    if (kv.key().find("v_th") != std::string::npos || kv.key().find("b_th") != std::string::npos)
      kv.value().fill_(1e9);
  m->set_collect_stats(true);
  m->forward(torch::randint(0, 7, {2, 6}, torch::kLong));
  r = m->ops_report();
  for (const auto& l : r.layers)
    if (l.kind == "AC") EXPECT_EQ(l.ops, 0.0) << l.name;
  EXPECT_EQ(r.mean_rate, 0.0);
  // The PLIFs fed by an RMSNorm (bounded input) with thresholds far below any membrane
  // fire every frame (rate 1); the others stay silent.
  for (auto& kv : m->named_parameters()) {
    const auto& n = kv.key();
    const bool normed = n.find("in_block") != std::string::npos ||
                        n.find("in_ffn") != std::string::npos ||
                        n.find("out_plif") != std::string::npos;
    if (normed && n.find("v_th") != std::string::npos) kv.value().fill_(-1e4);
  }
  m->set_collect_stats(true);
  m->forward(torch::randint(0, 7, {1, 4}, torch::kLong));
  r = m->ops_report();
  for (const auto& l : r.layers) {
    if (l.kind != "AC") continue;
    const bool normed =
        l.name.find("in_plif") != std::string::npos || l.name.find("out_plif") != std::string::npos;
    EXPECT_EQ(l.firing_rate, normed ? 1.0 : 0.0) << l.name;
    EXPECT_EQ(l.ops, normed ? l.dense_macs : 0.0) << l.name;
  }

  // The twin: no spikes, so no AC entries and no rates.
  auto twin = make(false, torch::kFloat, 6);
  twin->set_collect_stats(true);
  twin->forward(torch::randint(0, 7, {2, 6}, torch::kLong));
  const auto rt = twin->ops_report();
  for (const auto& l : rt.layers) EXPECT_EQ(l.kind, "MAC") << l.name;
  EXPECT_EQ(rt.mean_rate, 0.0);
  EXPECT_DOUBLE_EQ(rt.energy_uj(false), rt.ann_energy_uj(false));
}

// Natural-gradient compensation: phase 1 divides by the activation slope, phase 2 equalises
// the per-layer norms of the modulation-bias gradients at their geometric mean.
TEST(NeuronSparkLm, GradientCompensation) {
  auto m = make(true, torch::kDouble, 7);
  const auto ids = torch::randint(0, 7, {2, 5}, torch::kLong);
  m->forward(ids).pow(2).sum().backward();
  std::vector<torch::Tensor> before, sig;
  std::vector<double> phase1_norms;
  for (auto& l : m->layers) {
    const auto beta = torch::sigmoid(l->block->b_beta).detach();
    const auto slope = torch::clamp_min(beta * (1 - beta), 0.01);
    const auto a = torch::clamp_min(torch::sigmoid(l->block->b_alpha).detach(), 0.1);
    const auto gb = l->block->b_beta.grad() / slope, ga = l->block->b_alpha.grad() / a;
    const auto gt = l->block->b_th.grad();
    before.push_back(gb);
    phase1_norms.push_back(
        std::sqrt((gb.pow(2).sum() + ga.pow(2).sum() + gt.pow(2).sum()).item<double>()));
  }
  m->adjust_gradients();
  const double geo = std::sqrt(phase1_norms[0] * phase1_norms[1]);
  for (size_t i = 0; i < m->layers.size(); ++i) {
    auto& b = m->layers[i]->block;
    const double n = std::sqrt((b->b_beta.grad().pow(2).sum() + b->b_alpha.grad().pow(2).sum() +
                                b->b_th.grad().pow(2).sum())
                                   .item<double>());
    EXPECT_NEAR(n, geo, 1e-9 * geo);
    EXPECT_TRUE(
        torch::allclose(b->b_beta.grad(), before[i] * (geo / phase1_norms[i]), 1e-10, 1e-14));
  }
}

TEST(NeuronSparkLm, BuiltFromConfig) {
  Config cfg;
  cfg.set("neuronspark.d_model=16");
  cfg.set("neuronspark.n_layers=1");
  cfg.set("neuronspark.spiking=false");
  cfg.set("model.family=\"neuronspark_lm\"");
  auto lm = build_language_model(cfg, 11);
  EXPECT_EQ(lm->family(), "neuronspark_lm");
  EXPECT_FALSE(lm->spiking());
  EXPECT_EQ(lm->vocab_size(), 11);
  torch::NoGradGuard no_grad;
  EXPECT_EQ(lm->forward(torch::zeros({2, 3}, torch::kLong)).sizes(),
            (std::vector<int64_t>{2, 3, 11}));
  EXPECT_THROW(build_language_model(cfg, 1), InputError);
  EXPECT_THROW(cfg.set("neuronspark.frames=0"), InputError);
  EXPECT_THROW(lm->forward(torch::full({1, 2}, 11, torch::kLong)), c10::Error);
}

}  // namespace
}  // namespace spikessm

// The SpikingSSM block: smooth-path gradients by central differences, spike outputs, and
// the classifier's statistics.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gradcheck.h"
#include "spikessm/layers/block_ops.h"
#include "spikessm/layers/spiking_ssm_block.h"
#include "spikessm/models/classifier_ops.h"
#include "spikessm/models/sequence_classifier.h"

using namespace spikessm;

TEST(SpikingSSMBlock, SmoothTwinGradientsMatchCentralDifferences) {
  // With the neuron replaced by its smooth stand-in (GELU) every op of the block is smooth:
  // norm, S4D (scan and FFT), GLU mixing, residual; pre- and post-norm, both norms.
  torch::manual_seed(0);
  for (auto norm : {NormKind::Layer, NormKind::Batch})
    for (bool prenorm : {true, false}) {
      SpikingSSMBlockOptions o(4, 8);
      o.spiking(false).norm(norm).prenorm(prenorm);
      o.s4d().bidirectional(true);
      SpikingSSMBlock block(o);
      block->to(torch::kDouble);
      auto f = [&](std::vector<torch::Tensor>& in) { return block(in[0]); };
      spikessm::testing::expect_gradients_match(f, {torch::randn({2, 9, 4})});
    }
}

TEST(SpikingSSMBlock, SpikesAreBinaryAndCountedPerLayer) {
  torch::manual_seed(2);
  SequenceClassifierOptions o(1, 10, SpikingSSMBlockOptions(16, 8));
  o.n_layers(2);
  SequenceClassifier model(o);
  model->eval();
  model->set_collect_stats(true);
  auto x = torch::randn({3, 50, 1}) * 3;
  torch::NoGradGuard g;
  model(x);
  auto report = classifier_ops(*model, 50);
  ASSERT_EQ(report.layers.size(), 6u);  // encoder, 2 x (s4d, mix), decoder
  EXPECT_EQ(model->stats().populations(), (std::vector<std::string>{"block0.lif", "block1.lif"}));
  for (const auto& name : model->stats().populations()) {
    const SpikeStats& p = *model->stats().find(name);
    EXPECT_DOUBLE_EQ(p.elements, 3.0 * 50 * 16);
    EXPECT_GT(p.rate(), 0.0);
    EXPECT_LT(p.rate(), 1.0);
    EXPECT_DOUBLE_EQ(p.spikes, std::round(p.spikes));  // 0/1 sums
  }
  const auto& mix = report.layers[2];
  EXPECT_EQ(mix.kind, "AC");
  EXPECT_DOUBLE_EQ(mix.dense_macs, 50.0 * 16 * 32);
  EXPECT_DOUBLE_EQ(mix.ops, mix.firing_rate * mix.dense_macs);
  EXPECT_NEAR(mix.energy_pj(), mix.ops * 0.9, 1e-9);
  EXPECT_LT(report.energy_uj(true), report.ann_energy_uj(true));
}

// The fused bias + GLU + residual against x + glu_halves(m + bias) in ATen ops, forward and
// backward (float32 to the exp's rounding, 1 and 2 threads; float64 to 1e-12), and float64
// central differences.
TEST(GluResidual, MatchesCompositionAndGradcheck) {
  torch::manual_seed(3);
  for (auto dt : {torch::kFloat, torch::kDouble})
    for (int64_t H : {1, 7, 64})
      for (int threads : {1, 2})
        for (bool with_bias : {false, true}) {
          at::set_num_threads(threads);
          const auto x0 = torch::randn({3, 11, H}, dt), m0 = torch::randn({3, 11, 2 * H}, dt) * 3;
          const auto b0 = with_bias ? torch::randn({2 * H}, dt) : torch::Tensor();
          const auto g = torch::randn({3, 11, H}, dt);
          auto leaves = [&] {
            std::vector<torch::Tensor> v{x0.clone().requires_grad_(true),
                                         m0.clone().requires_grad_(true)};
            if (with_bias) v.push_back(b0.clone().requires_grad_(true));
            return v;
          };
          auto in = leaves(), in_ref = leaves();
          auto bias = with_bias ? in[2] : torch::Tensor(), bias_ref = with_bias ? in_ref[2] : bias;
          auto out = glu_residual(in[0], in[1], bias);
          auto want_out = ref::glu_residual(in_ref[0], in_ref[1], bias_ref);
          auto got = torch::autograd::grad({out}, in, {g});
          auto want = torch::autograd::grad({want_out}, in_ref, {g});
          const double tol = dt == torch::kFloat ? 2e-6 : 1e-12;
          const std::string where = "H=" + std::to_string(H) + " bias=" + std::to_string(with_bias);
          EXPECT_TRUE(torch::allclose(out, want_out, tol, tol)) << where;
          for (size_t i = 0; i < got.size(); ++i)
            EXPECT_TRUE(torch::allclose(got[i], want[i], tol, tol)) << where << " grad " << i;
        }
  at::set_num_threads(1);
  auto f = [](std::vector<torch::Tensor>& in) { return glu_residual(in[0], in[1], in[2]); };
  spikessm::testing::expect_gradients_match(
      f, {torch::randn({2, 5, 6}), torch::randn({2, 5, 12}), torch::randn({12})});
  EXPECT_THROW(glu_residual(torch::randn({2, 5, 6}), torch::randn({2, 5, 6})), c10::Error);
  EXPECT_THROW(glu_residual(torch::randn({2, 5, 6}), torch::randn({2, 5, 12}), torch::randn({6})),
               c10::Error);
}

// The fused epilogue (neuron with threshold scaling, GLU + residual) against the unfused path
// the block takes while it records spike statistics: same loss and gradients, bit for bit.
TEST(SpikingSSMBlock, FusedEpilogueSameBitsAsUnfused) {
  auto grads = [](bool record) {
    torch::manual_seed(4);
    SequenceClassifierOptions o(1, 10, SpikingSSMBlockOptions(16, 8));
    o.n_layers(2);
    SequenceClassifier model(o);
    model->train();
    model->set_collect_stats(record);
    auto x = torch::randn({3, 40, 1}) * 3;
    auto y = torch::randint(0, 10, {3});
    auto loss = torch::cross_entropy_loss(model(x), y);
    loss.backward();
    std::vector<torch::Tensor> out{loss.detach()};
    for (const auto& p : model->parameters()) out.push_back(p.grad().clone());
    return out;
  };
  const auto fused = grads(false), unfused = grads(true);
  ASSERT_EQ(fused.size(), unfused.size());
  for (size_t i = 0; i < fused.size(); ++i) EXPECT_TRUE(torch::equal(fused[i], unfused[i])) << i;
}

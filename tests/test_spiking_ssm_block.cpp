// The SpikingSSM block: smooth-path gradients by central differences, spike outputs, and
// the classifier's statistics.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gradcheck.h"
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

// The streaming classifier's step engine (src/models/classifier_step.h, taken by
// ClassifierStream for short chunks) against the parallel forward and the chunk path, in
// float64 over a few hundred samples: the running logits to ~1e-10 after every sample and the
// states (S4D modes, membranes) to ~1e-10 (a flipped spike would move a membrane by about
// v_th); on the configs/fsdd_causal.toml shape and on every other SpikingSSM variant it
// covers; Binary S4D models keep the chunk path.
#include <gtest/gtest.h>

#include "spikessm/common/config.h"
#include "spikessm/models/build.h"
#include "spikessm/models/classifier_stream.h"
#include "test_util.h"

using namespace spikessm;

namespace {

// Non-trivial BatchNorm statistics (they are fixed at inference), float64.
void prepare(SequenceClassifier& m) {
  m->to(torch::kDouble);
  torch::NoGradGuard ng;
  for (auto& buf : m->named_buffers()) {
    if (buf.key().find("running_mean") != std::string::npos) buf.value().normal_(0.0, 0.3);
    if (buf.key().find("running_var") != std::string::npos) buf.value().uniform_(0.5, 2.0);
  }
  m->eval();
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Steps x (B, L, d) one sample at a time through the engine and through the chunk path;
// checks both against each other after every sample, and against forward() on the prefixes
// every `every` samples.
void expect_engine_equals(SequenceClassifier m, const torch::Tensor& x, int64_t every) {
  ClassifierStream engine(m), chunks(m);
  ASSERT_TRUE(engine.has_step_engine());
  chunks.set_step_engine(false);
  const int64_t B = x.size(0), L = x.size(1);
  auto se = engine.initial_state(B), sc = chunks.initial_state(B);
  for (int64_t t = 0; t < L; ++t) {
    const auto got = engine.step(x.select(1, t), se);
    const auto want = chunks.step(x.select(1, t), sc);
    ASSERT_LT(max_diff(got, want), 1e-10) << "sample " << t;
    for (size_t i = 0; i < se.blocks.size(); ++i)
      ASSERT_LT(max_diff(se.blocks[i], sc.blocks[i]), 1e-10) << "sample " << t;
    if ((t + 1) % every == 0 || t + 1 == L) {
      torch::NoGradGuard ng;
      ASSERT_LT(max_diff(got, m->forward(x.narrow(1, 0, t + 1))), 1e-10) << "sample " << t;
    }
  }
}

}  // namespace

TEST(ClassifierStepEngine, FsddCausalShapeEqualsParallelAndChunkPathOverThreeHundredSamples) {
  Config cfg;
  cfg.merge_file(std::string(SPIKESSM_SOURCE_DIR) + "/configs/fsdd_causal.toml");
  torch::manual_seed(4);
  auto m = build_classifier(cfg, 1, 10);
  prepare(m);
  torch::manual_seed(8);
  const auto x = torch::randn({2, 300, 1}, torch::kDouble) * 2.0;
  // The blocks really spike, so a flipped spike could show.
  m->set_collect_stats(true);
  {
    torch::NoGradGuard ng;
    m->forward(x);
  }
  const double rate = m->stats().mean_rate();
  m->set_collect_stats(false);
  EXPECT_GT(rate, 0.02);
  EXPECT_LT(rate, 0.98);
  expect_engine_equals(m, x, 25);
}

TEST(ClassifierStepEngine, CoversTheTwinTheLinearMixPostNormAndSoftReset) {
  struct Variant {
    std::string name;
    bool spiking, linear_mix, prenorm;
    NormKind norm;
    ResetMode reset;
  };
  const std::vector<Variant> variants{
      {"lif_layernorm_glu", true, false, true, NormKind::Layer, ResetMode::Hard},
      {"lif_linear_mix_no_norm", true, true, true, NormKind::None, ResetMode::Hard},
      {"lif_postnorm_layer_soft", true, false, false, NormKind::Layer, ResetMode::Soft},
      {"lif_postnorm_batch", true, false, false, NormKind::Batch, ResetMode::Hard},
      {"twin_gelu_batchnorm", false, false, true, NormKind::Batch, ResetMode::Hard},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.name);
    SpikingSSMBlockOptions b(12, 10);  // five modes: a masked tail in the mode loop
    b.spiking(v.spiking).linear_mix(v.linear_mix).norm(v.norm).prenorm(v.prenorm);
    b.s4d().trainable_b(true);
    b.lif().reset = v.reset;
    b.lif().tau = 0.6f;
    SequenceClassifierOptions o(3, 5, b);
    o.n_layers(2);
    torch::manual_seed(7);
    SequenceClassifier m(o);
    prepare(m);
    torch::manual_seed(9);
    expect_engine_equals(m, torch::randn({2, 120, 3}, torch::kDouble) * 1.5, 40);
  }
}

TEST(ClassifierStepEngine, BinaryS4DModelsKeepTheChunkPath) {
  SequenceClassifierOptions o(3, 5, SpikingSSMBlockOptions(12, 8));
  o.block_kind(BlockKind::BinaryS4D).binary(BinaryS4DBlockOptions(12, 8)).n_layers(1);
  SequenceClassifier m(o);
  ClassifierStream stream(m);
  EXPECT_FALSE(stream.has_step_engine());
}

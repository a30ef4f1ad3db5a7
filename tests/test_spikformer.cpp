// The spiking vision transformer (models/spikformer.h, layers/spiking_attention.h): its LIF
// against a hand-written spikingjelly-style loop, SSA and the LRF branch against direct
// formulas, LRF-Dyn's recurrent inference against its FFT training path on the whole model,
// the vision energy convention, image augmentation and a short real Fashion-MNIST run.
#include <gtest/gtest.h>

#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/data/image_task.h"
#include "spikessm/models/build.h"
#include "spikessm/models/spikformer.h"
#include "spikessm/train/trainer.h"
#include "test_util.h"

using namespace spikessm;

TEST(Spikformer, LifMatchesSpikingjellyLoop) {
  // MultiStepLIFNode(tau=2, decay_input, v_reset=0): v = v + (x - v) / tau; s = v >= th; v *= 1 - s
  torch::manual_seed(1);
  auto x = 2 * torch::randn({7, 3, 5});
  for (double th : {1.0, 0.5}) {
    auto s = spikformer_lif(x, th);
    auto v = torch::zeros({3, 5});
    for (int64_t t = 0; t < 7; ++t) {
      v = v + (x[t] - v) / 2.0;
      auto st = (v >= th).to(torch::kFloat);
      EXPECT_TRUE(torch::equal(s[t], st)) << "t " << t << " th " << th;
      v = v * (1 - st);
    }
  }
}

namespace {

SpikingAttention make_attention(AttentionKind kind, int64_t D, int64_t gh, int64_t gw) {
  torch::manual_seed(3);
  SpikingAttention a(SpikingAttentionOptions(D, gh, gw).heads(2).kind(kind));
  a->to(torch::kDouble);
  a->eval();
  return a;
}

// Direct formulas: per head (Q K^T) V (the attention-matrix order), and the dilated depthwise
// convolutions as explicit shifted sums over the grid.
torch::Tensor direct_attention(SpikingAttentionImpl& m, const torch::Tensor& x) {
  const int64_t T = x.size(0), B = x.size(1), N = x.size(2), D = x.size(3), H = 2, dh = D / H;
  auto q = spikformer_lif(m.q(x), 1.0), k = spikformer_lif(m.k(x), 1.0),
       v = spikformer_lif(m.v(x), 1.0);
  auto a = torch::zeros_like(q);
  for (int64_t h = 0; h < H; ++h) {
    auto qh = q.narrow(3, h * dh, dh), kh = k.narrow(3, h * dh, dh), vh = v.narrow(3, h * dh, dh);
    a.narrow(3, h * dh, dh)
        .copy_(torch::matmul(torch::matmul(qh, kh.transpose(-1, -2)), vh) * 0.125);
  }
  if (m.options.kind() == AttentionKind::LrfSsa) {
    const int64_t gh = m.options.grid_h(), gw = m.options.grid_w();
    auto grid = v.view({T, B, gh, gw, D});
    auto out = torch::zeros_like(grid);
    for (auto [conv, dil] : {std::pair{m.lrf3, int64_t(3)}, std::pair{m.lrf5, int64_t(5)}}) {
      auto w = conv->weight.view({D, 3, 3});  // depthwise: one 3x3 per channel
      for (int64_t i = 0; i < gh; ++i)
        for (int64_t j = 0; j < gw; ++j)
          for (int64_t di = -1; di <= 1; ++di)
            for (int64_t dj = -1; dj <= 1; ++dj) {
              const int64_t si = i + di * dil, sj = j + dj * dil;
              if (si < 0 || sj < 0 || si >= gh || sj >= gw) continue;
              out.select(2, i).select(2, j).add_(grid.select(2, si).select(2, sj) *
                                                 w.select(1, di + 1).select(1, dj + 1));
            }
    }
    a = a + out.view({T, B, N, D});
  }
  return spikformer_lif(m.proj(spikformer_lif(a, 0.5)), 1.0);
}

}  // namespace

TEST(Spikformer, SsaAndLrfSsaMatchDirectFormulas) {
  for (auto kind : {AttentionKind::Ssa, AttentionKind::LrfSsa}) {
    auto m = make_attention(kind, 8, 6, 7);
    {
      torch::NoGradGuard g;
      for (auto& p : m->named_parameters()) {
        if (p.key().find("lrf") != std::string::npos) p.value().normal_(0, 0.5);
        if (p.key().find("bn.weight") != std::string::npos)
          p.value().fill_(4.0);  // enough current to spike
      }
    }
    auto x = (torch::rand({3, 2, 42, 8}, torch::kDouble) < 0.4).to(torch::kDouble) *
             2;  // residual-like counts
    torch::NoGradGuard g;
    auto got = m(x), want = direct_attention(*m, x);
    EXPECT_TRUE(torch::equal(got, want)) << to_string(kind);
    EXPECT_GT(got.sum().item<double>(), 0) << "no spikes: the test would be vacuous";
  }
}

TEST(Spikformer, LrfDynRecurrentInferenceEqualsParallelTraining) {
  // The whole model in float64 with BN in eval mode: LRF-Dyn's O(kd) recurrence and its FFT
  // convolution give the same logits (the spikes are identical).
  torch::manual_seed(5);
  SpikformerOptions o(1, 16, 12, 10);
  o.d_model(16).heads(2).n_layers(2).time_steps(3).attention(AttentionKind::LrfDyn);
  Spikformer m(o);
  m->to(torch::kDouble);
  auto x = torch::randn({3, 1, 16, 12}, torch::kDouble) * 2;
  m->eval();
  torch::NoGradGuard g;
  auto rec = m(x);
  for (auto& b : *m->blocks) b->as<SpikformerBlockImpl>()->attn->dyn->parallel_in_eval = true;
  auto par = m(x);
  EXPECT_LT((rec - par).abs().max().item<double>(), 1e-10);
  EXPECT_GT(rec.abs().sum().item<double>(), 0);
}

TEST(Spikformer, LrfDynRowStreamingEqualsWholeTensorInference) {
  // Eval-mode LRF-Dyn streams grid rows (carried dendrite state, an 11-row window of h) and must
  // give the whole-tensor recurrence's output, on grids shorter and taller than the LRF's reach.
  for (auto [gh, gw] : {std::pair<int64_t, int64_t>{3, 4}, {6, 7}, {13, 5}}) {
    auto m = make_attention(AttentionKind::LrfDyn, 8, gh, gw);
    {
      torch::NoGradGuard g;
      for (auto& p : m->named_parameters()) {
        if (p.key().find("lrf") != std::string::npos) p.value().normal_(0, 0.5);
        if (p.key().find("bn.weight") != std::string::npos) p.value().fill_(4.0);
        if (p.key() == "dyn.c") p.value().uniform_(0.5, 2.0);  // a membrane large enough to spike
      }
    }
    auto x = (torch::rand({3, 2, gh * gw, 8}, torch::kDouble) < 0.4).to(torch::kDouble) * 2;
    torch::NoGradGuard g;
    auto rows = m(x);
    m->stream_rows = false;
    auto whole = m(x);
    EXPECT_TRUE(torch::equal(rows, whole)) << gh << "x" << gw;
    EXPECT_GT(rows.mean().item<double>(), 0.01) << "too few spikes: the test would be vacuous";
    EXPECT_LT(rows.mean().item<double>(), 0.95);
  }
}

TEST(NeuralDynamics, ChunkedRecurrenceCarriesTheState) {
  torch::manual_seed(9);
  NeuralDynamics nd(NeuralDynamicsOptions(5).dendrites(4));
  nd->to(torch::kDouble);
  auto u = torch::randn({3, 11, 5}, torch::kDouble);
  auto whole = ndyn_recurrent(u, nd->decay(), nd->coupling(), nd->c, 1.0);
  auto state = torch::zeros({3, 4, 5}, torch::kDouble);
  auto first = nd->forward_chunk(u.narrow(1, 0, 4), state),
       rest = nd->forward_chunk(u.narrow(1, 4, 7), state);
  EXPECT_LT((torch::cat({first, rest}, 1) - whole).abs().max().item<double>(), 1e-12);
  auto bad = torch::zeros({3, 5, 5}, torch::kDouble);
  EXPECT_THROW(nd->forward_chunk(u, bad), c10::Error);
}

TEST(Spikformer, BackwardReachesEveryParameter) {
  for (auto kind : {AttentionKind::Ssa, AttentionKind::LrfSsa, AttentionKind::LrfDyn}) {
    torch::manual_seed(2);
    SpikformerOptions o(3, 8, 8, 10);
    o.d_model(16).heads(2).time_steps(2).attention(kind);
    Spikformer m(o);
    m->train();
    auto logits = m(torch::randn({4, 3, 8, 8}) * 3);
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{4, 10}));
    torch::cross_entropy_loss(logits, torch::tensor({0, 1, 2, 3})).backward();
    int with_grad = 0, total = 0;
    for (auto& p : m->named_parameters()) {
      ++total;
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
      with_grad += p.value().grad().abs().sum().item<double>() > 0;
    }
    EXPECT_GT(with_grad, total * 3 / 4) << to_string(kind);
  }
}

TEST(Spikformer, OpsFollowTheVisionEnergyConvention) {
  torch::manual_seed(4);
  SpikformerOptions o(1, 12, 12, 10);
  o.d_model(16).heads(2).time_steps(3).attention(AttentionKind::LrfSsa);
  Spikformer m(o);
  m->eval();
  m->set_collect_stats(true);
  torch::NoGradGuard g;
  auto x = torch::randn({5, 1, 12, 12});
  m(x);
  auto r = m->ops_report(0);
  ASSERT_FALSE(r.layers.empty());
  // Encoding conv: real input, MAC, computed once: H W (D/4) C 9.
  EXPECT_EQ(r.layers[0].name, "sps.conv0");
  EXPECT_EQ(r.layers[0].kind, "MAC");
  EXPECT_DOUBLE_EQ(r.layers[0].ops, 12.0 * 12 * 4 * 1 * 9);
  bool saw_q = false;
  for (const auto& l : r.layers) {
    if (l.kind != "AC") continue;
    EXPECT_GE(l.firing_rate, 0.0) << l.name;
    EXPECT_DOUBLE_EQ(l.ops, l.firing_rate * l.dense_macs) << l.name;  // SOP = fr x T x FLOPs
    if (l.name == "sps.conv1") {
      EXPECT_DOUBLE_EQ(l.dense_macs, 3.0 * 12 * 12 * 4 * 8 * 9);  // T x FLOPs
      EXPECT_LE(l.firing_rate, 1.0);                              // input: LIF spikes
    }
    if (l.name == "block0.attn.q") {
      saw_q = true;
      EXPECT_DOUBLE_EQ(l.dense_macs, 3.0 * 9 * 16 * 16);
    }
  }
  EXPECT_TRUE(saw_q);
  EXPECT_GT(r.mean_rate, 0.0);
  EXPECT_LT(r.mean_rate, 1.0);
  EXPECT_GT(r.energy_uj(true), 0.0);
  m->set_collect_stats(false);
}

TEST(ImageTask, AugmentCropsShiftedWindowsAndFlips) {
  auto x = torch::arange(2 * 3 * 6 * 5, torch::kFloat).view({2, 3, 6, 5}) + 1;  // no zeros inside
  EXPECT_TRUE(torch::equal(augment_images(x, 0, false, 9), x));
  auto a = augment_images(x, 2, true, 42), b = augment_images(x, 2, true, 42);
  EXPECT_TRUE(torch::equal(a, b));  // seeded
  auto padded = torch::constant_pad_nd(x, {2, 2, 2, 2});
  int flips = 0, moved = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto y = augment_images(x, 2, true, seed);
    for (int64_t i = 0; i < 2; ++i) {
      bool found = false;
      for (int64_t dy = 0; dy <= 4 && !found; ++dy)
        for (int64_t dx = 0; dx <= 4 && !found; ++dx)
          for (bool f : {false, true}) {
            auto w = padded[i].narrow(1, dy, 6).narrow(2, dx, 5);
            if (f) w = w.flip({2});
            if (torch::equal(y[i], w)) {
              found = true;
              flips += f;
              moved += dy != 2 || dx != 2;
              break;
            }
          }
      EXPECT_TRUE(found) << "seed " << seed << " image " << i;
    }
  }
  EXPECT_GT(flips, 5);
  EXPECT_LT(flips, 35);
  EXPECT_GT(moved, 20);
}

TEST(ImageTask, ConfigMismatchesAreInputErrors) {
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  Config c;
  c.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  c.set("data.train_limit=64");
  c.set("data.test_limit=16");
  c.set("model.family=spikformer");
  auto seq = load_task(c);
  EXPECT_THROW(build_model(c, seq.model_input()), InputError);  // spikformer on pixel sequences
  c.set("data.layout=image");
  auto img = load_task(c);
  EXPECT_EQ(img.train_x.sizes(), (std::vector<int64_t>{64, 1, 28, 28}));
  EXPECT_NEAR(img.train_x.mean().item<double>(), 0.0, 1e-4);
  c.set("model.family=classifier");
  EXPECT_THROW(build_model(c, img.model_input()), InputError);  // sequence classifier on images
  c.set("data.layout=sequence");
  c.set("data.dataset=cifar10");
  EXPECT_THROW(load_task(c), InputError);  // colour CIFAR has no sequence layout
}

TEST(Spikformer, LearnsFashionMnist) {
  // Real data, 93 steps of batch 32: well above the 10% of chance.
  SPIKESSM_SKIP_UNLESS_EXISTS(spikessm::testing::fashion_mnist_dir());
  auto out = spikessm::testing::scratch_dir("spikformer_fmnist");
  Config c;
  c.set("data.dir=" + spikessm::testing::fashion_mnist_dir());
  c.set("data.layout=image");
  c.set("data.train_limit=3000");
  c.set("data.test_limit=500");
  c.set("model.family=spikformer");
  c.set("model.attention=lrf_dyn");
  c.set("model.d_model=32");
  c.set("model.heads=2");
  c.set("model.n_layers=1");
  c.set("model.time_steps=2");
  c.set("model.mlp_ratio=2");
  c.set("train.batch_size=32");
  c.set("train.epochs=1");
  c.set("train.lr=0.005");
  c.set("train.warmup_steps=10");
  c.set("train.threads=2");
  c.set("train.out_dir=" + out.string());
  auto r = run_training(c, TrainRunOptions{});
  EXPECT_GT(r.test.accuracy, 0.3);  // chance is 0.10; 93 steps reach ~0.46 here
  EXPECT_GT(r.test.ops.mean_rate, 0.0);
  EXPECT_TRUE(std::filesystem::exists(out / "spike_stats.json"));
  std::filesystem::remove_all(out);
}

TEST(Spikformer, VisionConfigsBuildTheSameSizePerDataset) {
  // configs/vision/{fmnist,cifar10}_{ssa,lrf_ssa,lrf_dyn}.toml: valid keys, and per dataset
  // the three attentions differ by fewer than 2% of the parameters (LRF adds depthwise convs).
  for (std::string ds : {"fmnist", "cifar10"}) {
    std::vector<int64_t> sizes;
    for (std::string att : {"ssa", "lrf_ssa", "lrf_dyn"}) {
      Config c;
      c.merge_file(std::string(SPIKESSM_SOURCE_DIR) + "/configs/vision/" + ds + "_" + att +
                   ".toml");
      EXPECT_EQ(c.get_string("model.attention"), att);
      Task t;
      t.input = TaskInput::Image;
      t.train_x = torch::zeros(
          {2, ds == "fmnist" ? 1 : 3, ds == "fmnist" ? 28 : 32, ds == "fmnist" ? 28 : 32});
      auto m = build_model(c, t.model_input());
      int64_t n = 0;
      for (auto& p : m->parameters()) n += p.numel();
      sizes.push_back(n);
    }
    EXPECT_LT(double(sizes[1] - sizes[0]) / double(sizes[0]), 0.02) << ds;
    EXPECT_LT(double(sizes[2] - sizes[0]) / double(sizes[0]), 0.02) << ds;
  }
}

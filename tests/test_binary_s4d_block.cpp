// Binary S4D block and the GSU: forward against the formulas written out independently,
// spikes exactly binary, and a small model that learns.
#include <gtest/gtest.h>

#include "spikessm/layers/binary_s4d_block.h"
#include "spikessm/layers/gsu.h"

using namespace spikessm;

namespace {

// Ter by loops: scale * sign(v) where |v| > ratio * max|v|.
torch::Tensor ternary_loops(const torch::Tensor& v, double scale) {
  auto c = v.contiguous().to(torch::kDouble);
  double mx = 0;
  for (int64_t i = 0; i < c.numel(); ++i) mx = std::max(mx, std::fabs(c.data_ptr<double>()[i]));
  auto out = torch::zeros_like(c);
  for (int64_t i = 0; i < c.numel(); ++i) {
    const double a = c.data_ptr<double>()[i];
    out.data_ptr<double>()[i] = a > 0.15 * mx ? scale : a < -0.15 * mx ? -scale : 0.0;
  }
  return out.view(v.sizes());
}

}  // namespace

TEST(GSU, ForwardMatchesTheFormula) {
  torch::manual_seed(3);
  GSU g(GSUOptions(6));
  g->to(torch::kDouble);
  {
    torch::NoGradGuard ng;
    g->log_scale_w.fill_(std::log(0.5));
    g->log_scale_y.fill_(std::log(1.25));
  }
  auto y = torch::randn({2, 5, 6}, torch::kDouble);
  auto out = g(y);
  auto wa = ternary_loops(g->route_a->weight.detach(), 0.5);
  auto ty = ternary_loops(y, 1.25);
  auto n = torch::matmul(y, wa.t()) + g->route_a->bias.detach();
  auto m = torch::matmul(ty, g->route_b->weight.detach().t()) + g->route_b->bias.detach();
  EXPECT_TRUE(torch::allclose(out.detach(), n * m, 1e-10, 1e-12));
  // with GELU on the output
  GSU g2(GSUOptions(6).gelu(true));
  g2->to(torch::kDouble);
  auto wa2 = ternary_loops(g2->route_a->weight.detach(), 1.0);
  auto n2 = torch::matmul(y, wa2.t()) + g2->route_a->bias.detach();
  auto m2 = torch::matmul(ternary_loops(y, 1.0), g2->route_b->weight.detach().t()) +
            g2->route_b->bias.detach();
  EXPECT_TRUE(torch::allclose(g2(y).detach(), torch::gelu(n2 * m2), 1e-10, 1e-12));
  EXPECT_GT(g->weight_density(), 0.5);  // most of a uniform init's weights exceed 0.15 max
  EXPECT_LT(g->weight_density(), 1.0);
}

TEST(BinaryS4DBlock, SpikesAreHeavisideOfTheS4DReadout) {
  torch::manual_seed(5);
  BinaryS4DBlockOptions o(8, 4);
  o.norm(NormKind::None);
  BinaryS4DBlock block(o);
  auto x = torch::randn({3, 17, 8});
  // Rebuild the output by hand: H(S4D(x)), GLU mixing, residual.
  auto y = block->s4d(x).ge(0).to(torch::kFloat);
  auto m = block->mix(y).chunk(2, -1);
  auto want = x + m[0] * torch::sigmoid(m[1]);
  auto recorder = std::make_shared<StatsRecorder>();
  block->set_recorder(recorder, "b");
  recorder->start();
  auto out = block(x);
  EXPECT_TRUE(torch::allclose(out, want, 1e-5, 1e-6));
  EXPECT_NEAR(recorder->find("b.act")->rate(), y.to(torch::kDouble).mean().item<double>(), 1e-12);
}

TEST(BinaryS4DBlock, GsuModelLearnsASequenceTask) {
  // Class = whether the mean of a noisy sequence is positive: chance is 0.5.
  torch::manual_seed(11);
  BinaryS4DBlockOptions o(16, 8);
  o.mixer(MixerKind::Gsu).gsu_gelu(true).norm(NormKind::Layer);
  auto enc = torch::nn::Linear(1, 16);
  BinaryS4DBlock b1(o), b2(o);
  auto dec = torch::nn::Linear(16, 2);
  std::vector<torch::Tensor> params;
  for (auto* m : std::vector<torch::nn::Module*>{enc.get(), b1.get(), b2.get(), dec.get()})
    for (auto& p : m->parameters()) params.push_back(p);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(3e-3));
  auto batch = [](int64_t n, torch::Tensor& x, torch::Tensor& y) {
    auto shift = torch::randn({n, 1, 1}) * 0.5;
    x = torch::randn({n, 32, 1}) + shift;
    y = x.mean({1, 2}).gt(0).to(torch::kInt64);
  };
  auto run = [&](const torch::Tensor& x) { return dec(b2(b1(enc(x))).mean(1)); };
  torch::Tensor xt, yt;
  batch(512, xt, yt);
  for (int step = 0; step < 150; ++step) {
    torch::Tensor x, y;
    batch(64, x, y);
    opt.zero_grad();
    torch::cross_entropy_loss(run(x), y).backward();
    opt.step();
  }
  torch::NoGradGuard ng;
  const double acc = run(xt).argmax(1).eq(yt).to(torch::kDouble).mean().item<double>();
  EXPECT_GT(acc, 0.8);
}

// Heaviside spike and ternarisation: exact forward values, surrogate backward against the
// formulas evaluated by hand.
#include <gtest/gtest.h>

#include "spikessm/layers/spike_ops.h"

using namespace spikessm;

TEST(SpikeOps, HeavisideForwardIsExactAndBackwardIsTheSurrogate) {
  auto x = torch::tensor({-1.5, -0.5, 0.0, 0.25, 2.0}, torch::kDouble).requires_grad_();
  auto s = heaviside_spike(x, Surrogate::Triangle, 4.0);
  EXPECT_TRUE(torch::equal(s.detach(), torch::tensor({0.0, 0.0, 1.0, 1.0, 1.0}, torch::kDouble)));
  s.backward(torch::tensor({1.0, 1.0, 1.0, 2.0, 1.0}, torch::kDouble));
  // max(0, 1 - |x|) times the incoming gradient
  auto want = torch::tensor({0.0, 0.5, 1.0, 2 * 0.75, 0.0}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(x.grad(), want));
}

TEST(SpikeOps, HeavisideAtanSurrogate) {
  auto x = torch::tensor({0.3}, torch::kDouble).requires_grad_();
  heaviside_spike(x, Surrogate::Atan, 2.0).sum().backward();
  const double z = M_PI / 2 * 2.0 * 0.3;
  EXPECT_NEAR(x.grad().item<double>(), 1.0 / (1 + z * z), 1e-12);
}

TEST(SpikeOps, TernarizeForwardUsesTheDynamicThreshold) {
  // max|x| = 2 -> th = 0.3: |x| > 0.3 keeps its sign
  auto x = torch::tensor({-2.0, -0.31, -0.3, 0.0, 0.29, 0.5, 1.0}, torch::kDouble);
  auto scale = torch::tensor(1.5, torch::kDouble);
  auto t = ternarize(x, scale, 0.15, Surrogate::Atan, 2.0);
  auto want = torch::tensor({-1.5, -1.5, 0.0, 0.0, 0.0, 1.5, 1.5}, torch::kDouble);
  EXPECT_TRUE(torch::equal(t, want));
}

TEST(SpikeOps, TernarizeBackwardByHand) {
  auto x = torch::tensor({-1.0, 0.1, 0.6}, torch::kDouble).requires_grad_();
  auto log_s = torch::tensor(std::log(2.0), torch::kDouble).requires_grad_();
  auto g = torch::tensor({1.0, -2.0, 3.0}, torch::kDouble);
  auto t = ternarize(x, torch::exp(log_s), 0.15, Surrogate::Triangle, 1.0);
  (t * g).sum().backward();
  const double th = 0.15;  // max|x| = 1
  auto tri = [](double v) { return std::max(0.0, 1 - std::fabs(v)); };
  const double xs[3] = {-1.0, 0.1, 0.6}, gs[3] = {1.0, -2.0, 3.0}, tv[3] = {-1, 0, 1};
  for (int i = 0; i < 3; ++i)
    EXPECT_NEAR(x.grad()[i].item<double>(), gs[i] * 2.0 * (tri(xs[i] - th) + tri(-xs[i] - th)), 1e-12);
  // d/dlog_s = s * sum(g * t)
  double dscale = 0;
  for (int i = 0; i < 3; ++i) dscale += gs[i] * tv[i];
  EXPECT_NEAR(log_s.grad().item<double>(), 2.0 * dscale, 1e-12);
}

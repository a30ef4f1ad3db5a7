// Fused selective linear scan vs its reference twin, a hand-computed case, streaming and
// float64 central differences.
#include "spikessm/ssm/selective_scan.h"

#include <gtest/gtest.h>

#include "gradcheck.h"
#include "neuron_test_util.h"

namespace spikessm {
namespace {

using testing::with_threads;

// Fused and reference forward and gradients agree for full and per-channel beta.
void compare(int64_t B, int64_t L, int64_t D, bool per_channel, bool with_h0, torch::Dtype dt) {
  torch::manual_seed(B * 100 + L * 10 + D);
  auto opt = torch::TensorOptions().dtype(dt);
  auto u = torch::randn({B, L, D}, opt).requires_grad_(true);
  auto beta =
      (per_channel ? torch::rand({D}, opt) : torch::rand({B, L, D}, opt)).requires_grad_(true);
  torch::Tensor h0 = with_h0 ? torch::randn({B, D}, opt).requires_grad_(true) : torch::Tensor();
  auto r = torch::randn({B, L, D}, opt);
  auto h = selective_scan(u, beta, h0);
  auto href = ref::selective_scan(u, beta, h0);
  const double tol = dt == torch::kDouble ? 1e-12 : 1e-5;
  EXPECT_TRUE(torch::allclose(h, href, tol, tol));
  std::vector<torch::Tensor> in = {u, beta};
  if (with_h0) in.push_back(h0);
  auto g = torch::autograd::grad({(h * r).sum()}, in);
  auto gref = torch::autograd::grad({(href * r).sum()}, in);
  for (size_t i = 0; i < g.size(); ++i)
    EXPECT_TRUE(torch::allclose(g[i], gref[i], tol * 10, tol * 10)) << "input " << i;
}

TEST(SelectiveScan, MatchesReferenceOverShapes) {
  for (int threads : {1, 2})
    with_threads(threads, [&] {
      for (bool per_channel : {false, true})
        for (bool with_h0 : {false, true}) {
          compare(2, 1, 5, per_channel, with_h0, torch::kFloat);    // T = 1, odd D
          compare(3, 17, 37, per_channel, with_h0, torch::kFloat);  // odd sizes
          compare(2, 9, 70, per_channel, with_h0, torch::kDouble);
        }
    });
}

TEST(SelectiveScan, HandComputedCase) {
  // h = 0.5 h + u, h0 = 2: u = (1, 0, 4) -> h = (2, 1, 4.5)
  auto u = torch::tensor({1.0, 0.0, 4.0}, torch::kDouble).view({1, 3, 1});
  auto beta = torch::full({1, 3, 1}, 0.5, torch::kDouble);
  auto h = selective_scan(u, beta, torch::full({1, 1}, 2.0, torch::kDouble));
  EXPECT_TRUE(torch::equal(h.view({3}), torch::tensor({2.0, 1.0, 4.5}, torch::kDouble)));
}

TEST(SelectiveScan, StreamingEqualsOnePass) {
  torch::manual_seed(3);
  auto u = torch::randn({2, 12, 9}), beta = torch::rand({2, 12, 9});
  auto full = selective_scan(u, beta);
  auto a = selective_scan(u.slice(1, 0, 5), beta.slice(1, 0, 5));
  auto b = selective_scan(u.slice(1, 5), beta.slice(1, 5), a.select(1, 4));
  EXPECT_TRUE(torch::equal(torch::cat({a, b}, 1), full));
}

TEST(SelectiveScan, GradientsMatchFiniteDifferences) {
  torch::manual_seed(4);
  testing::expect_gradients_match(
      [](std::vector<torch::Tensor>& x) { return selective_scan(x[0], x[1], x[2]); },
      {torch::randn({2, 6, 3}), torch::rand({2, 6, 3}), torch::randn({2, 3})});
  testing::expect_gradients_match(
      [](std::vector<torch::Tensor>& x) { return selective_scan(x[0], x[1]); },
      {torch::randn({2, 6, 3}), torch::rand({3})});
}

TEST(SelectiveScan, RejectsBadInput) {
  auto u = torch::randn({2, 4, 3});
  testing::expect_op_error(
      "[selective_scan]", [&] { selective_scan(u, torch::rand({4})); }, "beta");
  testing::expect_op_error(
      "[selective_scan]",
      [&] {
        selective_scan(u.view({8, 3}), torch::rand({3}));
      },
      "u");
  testing::expect_op_error(
      "[selective_scan]",
      [&] {
        selective_scan(u, torch::rand({3}), torch::zeros({3, 3}));
      },
      "h0");
  testing::expect_op_error(
      "[selective_scan]", [&] { selective_scan(u, torch::rand({3}, torch::kDouble)); }, "beta");
}

}  // namespace
}  // namespace spikessm

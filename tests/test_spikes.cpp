// Stateless spikes: the Heaviside of Binary S4D and the ternary spike of the GSU, fused
// kernel vs reference twin, hand cases, and the ternary backward against its definition.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>

#include "neuron_test_util.h"
#include "spikessm/neurons/heaviside.h"
#include "spikessm/neurons/ternary.h"

namespace spikessm {
namespace {

using testing::rel_err;
using testing::with_threads;

TEST(HeavisideSpike, MatchesReferenceOverShapes) {
  torch::manual_seed(31);
  for (Surrogate k : testing::kAllSurrogates)
    for (auto dt : {torch::kFloat, torch::kDouble})
      for (auto shape : {std::vector<int64_t>{1, 1, 1}, {3, 33, 37}, {2, 300, 129}}) {
        HeavisideOptions o;
        o.v_th = 0.25, o.surrogate = k, o.surrogate_alpha = 1.5f;
        auto base = torch::randn(shape, torch::dtype(dt));
        const auto g = torch::randn(shape, torch::dtype(dt));
        auto grad_of = [&](auto fn, const torch::Tensor& leaf, const torch::Tensor& view) {
          auto s = fn(view, o);
          return std::make_pair(s.detach(), torch::autograd::grad({s}, {leaf}, {g})[0]);
        };
        auto l1 = base.clone().requires_grad_(true);
        const auto want = grad_of(&ref::heaviside_spike, l1, l1);
        for (int threads : {1, 2}) {
          with_threads(threads, [&] {
            auto l2 = base.clone().requires_grad_(true);
            const auto got = grad_of(&heaviside_spike, l2, l2);
            EXPECT_TRUE(torch::equal(got.first, want.first)) << to_string(k);
            EXPECT_LE(rel_err(got.second, want.second), 1e-6) << to_string(k);
            // Non-contiguous: a transposed view of a (B, D, L) leaf.
            auto l3 = base.transpose(1, 2).contiguous().requires_grad_(true);
            auto s3 = heaviside_spike(l3.transpose(1, 2), o);
            EXPECT_TRUE(torch::equal(s3, want.first));
            const auto d3 = torch::autograd::grad({s3}, {l3}, {g})[0];
            EXPECT_LE(rel_err(d3.transpose(1, 2), want.second), 1e-6);
          });
        }
      }
}

using TernFn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, const TernaryOptions&);

struct TernOut {
  torch::Tensor q, dx, dscale;
};

TernOut run_ternary(TernFn fn, const torch::Tensor& x, const torch::Tensor& scale,
                    const torch::Tensor& g, const TernaryOptions& o, bool transpose = false) {
  auto xl = (transpose ? x.transpose(-1, -2).contiguous() : x.clone()).requires_grad_(true);
  auto sl = scale.clone().requires_grad_(true);
  auto q = fn(transpose ? xl.transpose(-1, -2) : xl, sl, o);
  auto gr = torch::autograd::grad({q}, {xl, sl}, {g});
  return {q.detach(), transpose ? gr[0].transpose(-1, -2) : gr[0], gr[1]};
}

TEST(TernarySpike, MatchesReferenceOverShapesAndScopes) {
  torch::manual_seed(32);
  for (auto scope : {TernaryScope::Row, TernaryScope::Tensor})
    for (Surrogate k : testing::kAllSurrogates)
      for (auto dt : {torch::kFloat, torch::kDouble})
        for (auto shape : {std::vector<int64_t>{1}, {7}, {3, 33, 37}, {2, 300, 129}, {64, 17}}) {
          TernaryOptions o;
          o.scope = scope, o.surrogate = k;
          const auto x = torch::randn(shape, torch::dtype(dt));
          const auto scale = torch::full({}, 0.75, torch::dtype(dt));
          const auto g = torch::randn(shape, torch::dtype(dt));
          const auto want = run_ternary(&ref::ternary_spike, x, scale, g, o);
          const std::string name = to_string(k) +
                                   (scope == TernaryScope::Row ? " row" : " tensor") +
                                   " numel=" + std::to_string(x.numel());
          for (int threads : {1, 2}) {
            with_threads(threads, [&] {
              const bool tr = x.dim() >= 2;
              const auto got = run_ternary(&ternary_spike, x, scale, g, o, false);
              ASSERT_TRUE(torch::equal(got.q, want.q)) << name;
              EXPECT_LE(rel_err(got.dx, want.dx), 1e-5) << name;
              EXPECT_LE(rel_err(got.dscale, want.dscale), 1e-4) << name;
              if (!tr) return;
              // Non-contiguous input (rows are still the logical last dimension).
              const auto got_t = run_ternary(&ternary_spike, x, scale, g, o, true);
              ASSERT_TRUE(torch::equal(got_t.q, want.q)) << name << " transposed";
              EXPECT_LE(rel_err(got_t.dx, want.dx), 1e-5) << name << " transposed";
            });
          }
        }
}

// Row scope: th = 0.15 * max|row|. Row 1: max 2 -> th 0.3; row 2: max 10 -> th 1.5.
// Tensor scope: th = 1.5 for both rows.
TEST(TernarySpike, HandComputedThresholds) {
  const auto x = torch::tensor({{0.3, -0.29, 2.0, -0.5}, {1.0, -10.0, 1.5, 0.0}}, torch::kDouble);
  const auto scale = torch::full({}, 2.0, torch::kDouble);
  TernaryOptions o;
  const auto row = ternary_spike(x, scale, o);
  EXPECT_TRUE(torch::equal(
      row, torch::tensor({{2.0, 0.0, 2.0, -2.0}, {0.0, -2.0, 2.0, 0.0}}, torch::kDouble)))
      << row;
  o.scope = TernaryScope::Tensor;
  const auto whole = ternary_spike(x, scale, o);
  EXPECT_TRUE(torch::equal(
      whole, torch::tensor({{0.0, 0.0, 2.0, 0.0}, {0.0, -2.0, 2.0, 0.0}}, torch::kDouble)))
      << whole;
}

// Backward from the definition, per element: dq/dx = scale (f'(x - th) + f'(-x - th)) with
// f' by central differences of the smooth function, dq/dscale = q / scale.
TEST(TernarySpike, BackwardMatchesDefinition) {
  torch::manual_seed(33);
  const auto x = torch::randn({4, 9}, torch::kDouble);
  const auto scale = torch::full({}, 1.3, torch::kDouble);
  const auto g = torch::randn({4, 9}, torch::kDouble);
  for (Surrogate k : {Surrogate::Atan, Surrogate::Sigmoid, Surrogate::FastSigmoid}) {
    TernaryOptions o;
    o.surrogate = k;
    const auto got = run_ternary(&ternary_spike, x, scale, g, o);
    const double a = o.surrogate_alpha, eps = 1e-6;
    auto fprime = [&](double h) {
      return (testing::surrogate_primitive(k, h + eps, a) -
              testing::surrogate_primitive(k, h - eps, a)) /
             (2 * eps);
    };
    double dscale = 0;
    for (int64_t r = 0; r < 4; ++r) {
      const double th = 0.15 * x[r].abs().max().item<double>();
      for (int64_t d = 0; d < 9; ++d) {
        const double xi = x[r][d].item<double>(), gi = g[r][d].item<double>();
        const double want = gi * 1.3 * (fprime(xi - th) + fprime(-xi - th));
        EXPECT_NEAR(got.dx[r][d].item<double>(), want, 1e-7) << to_string(k);
        dscale += gi * ((xi - th >= 0 ? 1 : 0) - (-xi - th >= 0 ? 1 : 0));
      }
    }
    EXPECT_NEAR(got.dscale.item<double>(), dscale, 1e-12);
  }
}

TEST(TernarySpike, RejectsBadInput) {
  auto expect_error = [](const std::function<void()>& f, const std::string& part) {
    testing::expect_op_error("[ternary_spike]", f, part);
  };
  const auto x = torch::zeros({2, 3});
  expect_error([&] { ternary_spike(x, torch::ones({2})); }, "one-element");
  expect_error([&] { ternary_spike(x, torch::ones({}, torch::kDouble)); }, "one-element");
  expect_error([&] { ternary_spike(torch::zeros({}), torch::ones({})); }, "(..., D)");
  TernaryOptions o;
  o.ratio = -1;
  expect_error([&] { ternary_spike(x, torch::ones({}), o); }, "ratio");
}

}  // namespace
}  // namespace spikessm

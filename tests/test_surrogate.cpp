// Every surrogate: forward is the exact Heaviside, backward equals the derivative of its
// smooth function f (central finite differences of f in double), in the scalar formula,
// the fused kernels (float and double) and the reference twin.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "neuron_test_util.h"
#include "spikessm/common/config.h"
#include "spikessm/neurons/heaviside.h"
#include "spikessm/neurons/lif.h"

namespace spikessm {
namespace {

using testing::kAllSurrogates;
using testing::surrogate_primitive;

// Points where f' jumps: a central difference across them measures the average slope.
bool near_kink(Surrogate k, double x, double a) {
  auto near = [&](double c) { return std::fabs(x - c) < 1e-4; };
  switch (k) {
    case Surrogate::Triangle:
      return near(0) || near(1) || near(-1);
    case Surrogate::Rectangle:
      return near(0.5 / a) || near(-0.5 / a);
    default:
      return false;
  }
}

// dL/dx of op(x) for dL/ds = 1.
torch::Tensor backward_of(torch::Tensor (*op)(const torch::Tensor&, const HeavisideOptions&),
                          const torch::Tensor& x, const HeavisideOptions& o) {
  auto leaf = x.detach().clone().requires_grad_(true);
  auto s = op(leaf, o);
  return torch::autograd::grad({s}, {leaf}, {torch::ones_like(s)})[0];
}

TEST(Surrogate, BackwardIsDerivativeOfSmoothFunction) {
  const double v_th = 0.3, eps = 1e-6;
  // h = x - v_th over [-3, 3], off the grid of kinks.
  const auto h = torch::linspace(-3, 3, 601, torch::kDouble) + 0.0013;
  const auto x = h + v_th;
  for (Surrogate k : kAllSurrogates) {
    for (double a : {0.7, 2.0, 4.0}) {
      HeavisideOptions o;
      o.v_th = v_th, o.surrogate = k, o.surrogate_alpha = static_cast<float>(a);
      const double af = o.surrogate_alpha;  // the float the kernels see
      const auto kernel64 = backward_of(&heaviside_spike, x, o);
      const auto kernel32 = backward_of(&heaviside_spike, x.to(torch::kFloat), o);
      const auto twin = backward_of(&ref::heaviside_spike, x, o);
      for (int64_t i = 0; i < h.numel(); ++i) {
        // The op subtracts v_th from x; use the h it sees.
        const double hi = x[i].item<double>() - v_th;
        if (near_kink(k, hi, af)) continue;
        const double fd =
            (surrogate_primitive(k, hi + eps, af) - surrogate_primitive(k, hi - eps, af)) /
            (2 * eps);
        const auto where =
            to_string(k) + " alpha=" + std::to_string(a) + " h=" + std::to_string(hi);
        EXPECT_NEAR(kernel64[i].item<double>(), fd, 1e-7 * std::max(1.0, std::fabs(fd))) << where;
        EXPECT_NEAR(twin[i].item<double>(), fd, 1e-7 * std::max(1.0, std::fabs(fd))) << where;
        EXPECT_NEAR(kernel32[i].item<double>(), fd, 2e-5 * std::max(1.0, std::fabs(fd))) << where;
        EXPECT_NEAR(surrogate_grad(k, static_cast<float>(hi), o.surrogate_alpha), fd,
                    2e-5 * std::max(1.0, std::fabs(fd)))
            << where;
      }
    }
  }
}

TEST(Surrogate, ForwardIsExactHeaviside) {
  // Exactly at the threshold the spike fires: H(0) = 1.
  const auto x = torch::tensor({-1.0, -1e-300, 0.0, 1e-300, 0.5, 2.0}, torch::kDouble) + 0.5;
  for (Surrogate k : kAllSurrogates) {
    HeavisideOptions o;
    o.v_th = 0.5, o.surrogate = k;
    const auto s = heaviside_spike(x.requires_grad_(false), o);
    EXPECT_TRUE(torch::equal(s, torch::tensor({0.0, 1.0, 1.0, 1.0, 1.0, 1.0}, torch::kDouble)))
        << to_string(k) << " " << s;  // -1e-300 + 0.5 rounds to 0.5: fires
    const auto s2 = heaviside_spike(torch::tensor({-0.25f, 0.0f, 0.25f}), {});
    EXPECT_TRUE(torch::equal(s2, torch::tensor({0.f, 1.f, 1.f})));
  }
}

TEST(Surrogate, ConfigNamesRoundTrip) {
  for (Surrogate k : kAllSurrogates) EXPECT_EQ(parse_enum<Surrogate>(to_string(k), "surrogate"), k);
  EXPECT_EQ(parse_enum<Surrogate>("fast_sigmoid", "surrogate"), Surrogate::FastSigmoid);
  EXPECT_EQ(parse_enum<Surrogate>("rectangle", "surrogate"), Surrogate::Rectangle);
  // The config schema offers exactly the surrogates the parser knows.
  for (const auto& k : config_schema()) {
    if (k.key != "model.surrogate") continue;
    EXPECT_EQ(k.choices.size(), std::size(testing::kAllSurrogates));
    for (const auto& name : k.choices)
      EXPECT_EQ(to_string(parse_enum<Surrogate>(name, "surrogate")), name);
  }
}

}  // namespace
}  // namespace spikessm

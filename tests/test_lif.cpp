// Fused LIF kernel vs its reference twin, a hand-computed case, and the backward against an
// independent scalar loop written here from papers.md 1.1-1.2.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../src/kernels/cpu/lif_cpu.h"
#include "spikessm/common/error.h"
#include "spikessm/neurons/lif.h"
#include "neuron_test_util.h"
#include "test_util.h"

namespace spikessm {
namespace {

using testing::with_threads;

struct Out {
  torch::Tensor s, dx;
};

using LifFn = torch::Tensor (*)(const torch::Tensor&, const LifOptions&);

// base: the leaf; view(base) -> x: (B, L, D). Returns the spikes and dL/dbase for dL/ds = g.
Out run(LifFn fn, const torch::Tensor& base,
        const std::function<torch::Tensor(torch::Tensor)>& view, const torch::Tensor& g,
        const LifOptions& opt) {
  auto leaf = base.detach().clone().requires_grad_(true);
  auto s = fn(view(leaf), opt);
  auto dx = torch::autograd::grad({s}, {leaf}, {g})[0];
  return {s.detach(), dx};
}

std::string describe(const LifOptions& o, int64_t B, int64_t L, int64_t D, torch::Dtype dt) {
  return "B=" + std::to_string(B) + " L=" + std::to_string(L) + " D=" + std::to_string(D) + " " +
         to_string(o.reset) + " " + to_string(o.grad) +
         (o.detach_reset ? " detach" : " no-detach") + " " + to_string(o.surrogate) +
         " tau=" + std::to_string(o.tau) + (dt == torch::kDouble ? " f64" : " f32");
}

// Largest |a - b| relative to max(1, max |b|): BPTT gradients can grow along time.
double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(1.0, b.abs().max().item<double>());
  return (a - b).abs().max().item<double>() / scale;
}

// Fused (1 and 2 threads) vs reference on one random problem; transpose: feed a (B, D, L)
// leaf through a transposed, non-contiguous view.
void check_against_ref(int64_t B, int64_t L, int64_t D, const LifOptions& opt, torch::Dtype dt,
                       bool transpose = false) {
  const double tol = dt == torch::kDouble ? 1e-12 : 1e-5;
  const auto name = describe(opt, B, L, D, dt) + (transpose ? " transposed" : "");
  // Mean 0.6 and unit spread: plenty of spikes, silences and values inside the surrogate's support.
  auto base = transpose ? torch::randn({B, D, L}, torch::dtype(dt)) + 0.6
                        : torch::randn({B, L, D}, torch::dtype(dt)) + 0.6;
  auto view = [&](torch::Tensor t) { return transpose ? t.transpose(1, 2) : t; };
  const auto g = torch::randn({B, L, D}, torch::dtype(dt));
  const auto want = run(&ref::lif_multistep, base, view, g, opt);
  for (int threads : {1, 2}) {
    with_threads(threads, [&] {
      const auto got = run(&lif_multistep, base, view, g, opt);
      ASSERT_TRUE(torch::equal(got.s, want.s)) << name << " threads=" << threads;
      EXPECT_LE(rel_err(got.dx, want.dx), tol) << name << " threads=" << threads;
    });
  }
}

std::vector<LifOptions> all_modes(float tau) {
  std::vector<LifOptions> out;
  for (auto reset : {ResetMode::Hard, ResetMode::Soft})
    for (auto grad : {GradMode::BPTT, GradMode::SLTT})
      for (bool detach : {true, false})
        for (auto sg : {Surrogate::Triangle, Surrogate::Sigmoid, Surrogate::Atan,
                        Surrogate::Rectangle, Surrogate::FastSigmoid}) {
          LifOptions o;
          o.tau = tau, o.reset = reset, o.grad = grad, o.detach_reset = detach, o.surrogate = sg;
          out.push_back(o);
        }
  return out;
}

TEST(LifFused, MatchesReferenceInEveryMode) {
  torch::manual_seed(1);
  for (const auto& o : all_modes(0.5f)) {
    check_against_ref(3, 33, 37, o, torch::kFloat);
    check_against_ref(1, 7, 130, o, torch::kFloat);  // 2 threads split D into chunks
    check_against_ref(2, 9, 37, o, torch::kDouble);
  }
}

TEST(LifFused, MatchesReferenceOverShapes) {
  torch::manual_seed(2);
  LifOptions paper;  // hard reset, BPTT, detached reset, triangle, tau 0.125
  LifOptions other;
  other.tau = 0.9f, other.reset = ResetMode::Soft, other.detach_reset = false;
  other.surrogate = Surrogate::Sigmoid, other.alpha = 2.5f, other.v_th = 0.75f;
  LifOptions sltt;
  sltt.tau = 0.5f, sltt.grad = GradMode::SLTT, sltt.surrogate = Surrogate::Atan;
  for (int64_t L : {1, 7, 33, 257})
    for (int64_t D : {1, 3, 37, 130})
      for (int64_t B : {1, 3})
        for (const auto& o : {paper, other, sltt}) check_against_ref(B, L, D, o, torch::kFloat);
  // More channels than one task carries (1024): several chunks per row.
  check_against_ref(4, 5, 2100, paper, torch::kFloat);
  check_against_ref(1, 33, 130, other, torch::kDouble);
}

// Arrays of 8 MiB and more take the kernel's non-temporal store path.
TEST(LifFused, MatchesReferenceOnLargeInput) {
  torch::manual_seed(6);
  LifOptions o;
  o.tau = 0.5f;
  check_against_ref(2, 1024, 1024, o, torch::kFloat);
  o.reset = ResetMode::Soft, o.surrogate = Surrogate::Atan;
  check_against_ref(1, 1024, 1024, o, torch::kDouble);
}

TEST(LifFused, NonContiguousInput) {
  torch::manual_seed(3);
  LifOptions o;
  o.tau = 0.5f;
  check_against_ref(3, 33, 37, o, torch::kFloat, /*transpose=*/true);
  o.reset = ResetMode::Soft, o.detach_reset = false;
  check_against_ref(2, 7, 5, o, torch::kDouble, /*transpose=*/true);
}

// The threshold scaling fused into the neuron: the same bits as the product followed by the
// neuron (spikes, dx and dscale, 1 and 2 threads), over lengths around the replay block (32),
// and the float64 reference twin within rounding.
TEST(LifScaled, SameBitsAsProductThenNeuron) {
  torch::manual_seed(7);
  LifOptions paper, soft;
  soft.tau = 0.5f, soft.reset = ResetMode::Soft, soft.surrogate = Surrogate::Sigmoid;
  for (int64_t L : {1, 31, 32, 33, 70})
    for (const auto& o : {paper, soft})
      for (int threads : {1, 2})
        with_threads(threads, [&] {
          const auto x0 = torch::randn({3, L, 37}) + 0.6, s0 = torch::rand({37}) + 0.5;
          const auto g = torch::randn({3, L, 37});
          auto x = x0.clone().requires_grad_(true), sc = s0.clone().requires_grad_(true);
          auto s = lif_scaled(x, sc, o);
          auto got = torch::autograd::grad({s}, {x, sc}, {g});
          auto x2 = x0.clone().requires_grad_(true), sc2 = s0.clone().requires_grad_(true);
          auto s2 = lif_multistep(x2 * sc2, o);
          auto want = torch::autograd::grad({s2}, {x2, sc2}, {g});
          const auto name =
              describe(o, 3, L, 37, torch::kFloat) + " threads=" + std::to_string(threads);
          ASSERT_TRUE(torch::equal(s, s2)) << name;
          EXPECT_TRUE(torch::equal(got[0], want[0])) << name;
          EXPECT_TRUE(torch::equal(got[1], want[1])) << name;
        });
  // float64 against the reference twin (a loop of ATen ops).
  const auto x0 = torch::randn({2, 45, 9}, torch::kDouble) + 0.6;
  const auto s0 = torch::rand({9}, torch::kDouble) + 0.5;
  const auto g = torch::randn({2, 45, 9}, torch::kDouble);
  auto x = x0.clone().requires_grad_(true), sc = s0.clone().requires_grad_(true);
  auto got = torch::autograd::grad({lif_scaled(x, sc, paper)}, {x, sc}, {g});
  auto xr = x0.clone().requires_grad_(true), scr = s0.clone().requires_grad_(true);
  auto want = torch::autograd::grad({ref::lif_scaled(xr, scr, paper)}, {xr, scr}, {g});
  EXPECT_LE(rel_err(got[0], want[0]), 1e-12);
  EXPECT_LE(rel_err(got[1], want[1]), 1e-12);
  // Scale frozen (a buffer): only dx.
  auto x3 = x0.clone().requires_grad_(true);
  auto dx = torch::autograd::grad({lif_scaled(x3, s0, paper)}, {x3}, {g})[0];
  EXPECT_LE(rel_err(dx, want[0]), 1e-12);
  EXPECT_THROW(lif_scaled(x0, torch::ones({8}, torch::kDouble), paper), c10::Error);
}

TEST(LifFused, SumBackwardAndInferenceAgree) {
  torch::manual_seed(4);
  auto x = (torch::randn({2, 17, 11}) + 0.6).requires_grad_(true);
  LifOptions o;
  auto s = lif_multistep(x, o);
  s.sum().backward();  // an expanded, stride-0 upstream gradient
  auto want = run(
      &lif_multistep, x, [](torch::Tensor t) { return t; }, torch::ones_like(x), o);
  EXPECT_TRUE(torch::allclose(x.grad(), want.dx, 0, 0));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(lif_multistep(x, o), s.detach()));
  const auto spikes = s.detach();
  EXPECT_TRUE(torch::equal(spikes, spikes.gt(0.5).to(spikes.dtype())));  // exactly 0 or 1
}

// x = [0.75, 1.0, 0.25], tau = 0.5, v_th = 1 (all exact in binary):
//   u'_1 = 0.75 (s 0); u'_2 = 0.375 + 1 = 1.375 (s 1);
//   hard: u_2 = 0 -> u'_3 = 0.25;  soft: u_2 = 0.375 -> u'_3 = 0.1875 + 0.25 = 0.4375.
// And x = [0.75, 0.625, 1.0] hits the threshold exactly: u'_2 = 1.0 fires since H(0) = 1.
TEST(LifFused, HandComputedTinyCase) {
  struct Case {
    std::vector<float> x;
    bool hard;
    std::vector<float> spikes, u_pre;
  };
  const std::vector<Case> cases = {
      {{0.75f, 1.0f, 0.25f}, true, {0, 1, 0}, {0.75f, 1.375f, 0.25f}},
      {{0.75f, 1.0f, 0.25f}, false, {0, 1, 0}, {0.75f, 1.375f, 0.4375f}},
      {{0.75f, 0.625f, 1.0f}, true, {0, 1, 1}, {0.75f, 1.0f, 1.0f}},
  };
  for (const auto& c : cases) {
    std::vector<float> s(3), u(3);
    kernels::LifForwardParams<float> p;
    p.B = 1, p.L = 3, p.D = 1;
    p.x = c.x.data(), p.s = s.data(), p.u_pre = u.data();
    p.opt.tau = 0.5, p.opt.v_th = 1.0, p.opt.hard_reset = c.hard;
    kernels::lif_forward_cpu(p);
    EXPECT_EQ(s, c.spikes);
    EXPECT_EQ(u, c.u_pre);
    LifOptions o;
    o.tau = 0.5f, o.reset = c.hard ? ResetMode::Hard : ResetMode::Soft;
    const auto x = torch::tensor(c.x).view({1, 3, 1});
    EXPECT_TRUE(torch::equal(lif_multistep(x, o), torch::tensor(c.spikes).view({1, 3, 1})));
  }
}

// The surrogate slopes of surrogate.h, in double.
double slope(Surrogate k, double h, double alpha) {
  switch (k) {
    case Surrogate::Triangle:
      return std::max(0.0, 1 - std::fabs(h));
    case Surrogate::Sigmoid: {
      const double s = 1 / (1 + std::exp(-alpha * h));
      return alpha * s * (1 - s);
    }
    case Surrogate::Atan: {
      const double z = M_PI / 2 * alpha * h;
      return alpha / 2 / (1 + z * z);
    }
    case Surrogate::Rectangle:
      return std::fabs(h) < 0.5 / alpha ? alpha : 0.0;
    case Surrogate::FastSigmoid:
      return 1 / ((1 + alpha * std::fabs(h)) * (1 + alpha * std::fabs(h)));
  }
  return 0;
}

// Forward then backward of one (b, d) channel, straight from the definitions.
// x, g: (L) -> dx: (L)
std::vector<double> scalar_dx(const std::vector<double>& x, const std::vector<double>& g,
                              const LifOptions& o) {
  const size_t L = x.size();
  const double tau = o.tau, v_th = o.v_th;
  const bool hard = o.reset == ResetMode::Hard;
  std::vector<double> up(L), s(L), dx(L);
  double u = 0;
  for (size_t t = 0; t < L; ++t) {
    up[t] = tau * u + x[t];
    s[t] = up[t] - v_th >= 0 ? 1 : 0;
    u = hard ? up[t] * (1 - s[t]) : up[t] - s[t] * v_th;
  }
  double du = 0;  // dL/du_t from the future
  for (size_t t = L; t-- > 0;) {
    const double sg = slope(o.surrogate, up[t] - v_th, o.alpha);
    if (o.grad == GradMode::SLTT) {
      dx[t] = g[t] * sg;
      continue;
    }
    double du_dup = hard ? 1 - s[t] : 1;
    if (!o.detach_reset) du_dup -= (hard ? up[t] : v_th) * sg;
    const double dup = g[t] * sg + du * du_dup;
    dx[t] = dup;
    du = tau * dup;
  }
  return dx;
}

TEST(LifFused, BackwardMatchesScalarLoop) {
  torch::manual_seed(5);
  const int64_t B = 2, L = 9, D = 3;
  for (const auto& o : all_modes(0.5f)) {
    auto x = (torch::randn({B, L, D}, torch::kDouble) + 0.6).requires_grad_(true);
    const auto g = torch::randn({B, L, D}, torch::kDouble);
    const auto dx = torch::autograd::grad({lif_multistep(x, o)}, {x}, {g})[0];
    for (int64_t b = 0; b < B; ++b)
      for (int64_t d = 0; d < D; ++d) {
        std::vector<double> xs(L), gs(L);
        for (int64_t t = 0; t < L; ++t) {
          xs[t] = x[b][t][d].item<double>();
          gs[t] = g[b][t][d].item<double>();
        }
        const auto want = scalar_dx(xs, gs, o);
        for (int64_t t = 0; t < L; ++t)
          EXPECT_NEAR(dx[b][t][d].item<double>(), want[t], 1e-12)
              << describe(o, B, L, D, torch::kDouble) << " at b=" << b << " t=" << t << " d=" << d;
      }
  }
}

TEST(LifFused, RejectsBadInput) {
  LifOptions o;
  auto expect_error = [&](const torch::Tensor& x, const std::string& part) {
    testing::expect_op_error(
        "[lif_multistep]", [&] { lif_multistep(x, o); }, part);
  };
  expect_error(torch::zeros({4, 5}), "(B, L, D)");
  expect_error(torch::zeros({2, 3, 4}, torch::kInt), "float32 or float64");
  expect_error(torch::zeros({2, 3, 4}, torch::kHalf), "float32 or float64");
  EXPECT_EQ(lif_multistep(torch::zeros({2, 0, 4}), o).sizes(), torch::IntArrayRef({2, 0, 4}));
}

TEST(LifNames, RoundTripAndReject) {
  for (auto s : {Surrogate::Triangle, Surrogate::Sigmoid, Surrogate::Atan, Surrogate::Rectangle,
                 Surrogate::FastSigmoid})
    EXPECT_EQ(parse_enum<Surrogate>(to_string(s), "surrogate"), s);
  for (auto r : {ResetMode::Hard, ResetMode::Soft})
    EXPECT_EQ(parse_enum<ResetMode>(to_string(r), "reset"), r);
  for (auto g : {GradMode::BPTT, GradMode::SLTT})
    EXPECT_EQ(parse_enum<GradMode>(to_string(g), "grad_mode"), g);
  auto expect_input_error = [](const std::function<void()>& f, const std::string& value,
                               const std::string& accepted) {
    try {
      f();
      ADD_FAILURE() << "no error for " << value;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("'" + value + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find(accepted), std::string::npos) << msg;
    }
  };
  expect_input_error([] { parse_enum<Surrogate>("boxcar", "surrogate"); }, "boxcar",
                     "triangle, sigmoid, atan, rectangle, fast_sigmoid");
  expect_input_error([] { parse_enum<ResetMode>("Hard", "reset"); }, "Hard", "hard, soft");
  expect_input_error([] { parse_enum<GradMode>("tbptt", "grad_mode"); }, "tbptt", "bptt, sltt");
}

}  // namespace
}  // namespace spikessm

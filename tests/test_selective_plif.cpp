// Fused selective PLIF vs its reference twin, streaming == one pass, and a float64
// finite-difference check of the surrogate path against an independent frozen-spike model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "neuron_test_util.h"
#include "spikessm/neurons/selective_plif.h"

namespace spikessm {
namespace {

using testing::rel_err;
using testing::with_threads;

using Fn = SelectivePlifOutput (*)(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                                   const torch::Tensor&, const SelectivePlifOptions&,
                                   const torch::Tensor&);

// Leaves: current, beta, gain, v_th (B, L, D) or, transposed, (B, D, L) viewed as (B, L, D);
// v0 (B, D). Values as NeuronSpark's activations produce them.
struct Problem {
  std::vector<torch::Tensor> leaves;  // current, beta, gain, v_th, v0
  bool transpose = false;
  torch::Tensor gs, gv;  // upstream gradients (B, L, D)
  torch::Tensor view(int i) const {
    return transpose && i < 4 ? leaves[i].transpose(1, 2) : leaves[i];
  }
};

Problem make(int64_t B, int64_t L, int64_t D, torch::Dtype dt, bool transpose, bool with_v0) {
  Problem p;
  p.transpose = transpose;
  auto shape = transpose ? std::vector<int64_t>{B, D, L} : std::vector<int64_t>{B, L, D};
  auto o = torch::dtype(dt);
  p.leaves = {torch::randn(shape, o) * 0.8 + 0.3,                    // current
              torch::sigmoid(torch::randn(shape, o) * 1.5 + 1.0),    // beta in (0, 1)
              torch::softplus(torch::randn(shape, o) * 0.5 + 0.54),  // gain ~ 1
              0.1 + (torch::randn(shape, o) * 0.4).abs(),            // V_min + |.|
              with_v0 ? torch::randn({B, D}, o) * 0.3 : torch::Tensor()};
  p.gs = torch::randn({B, L, D}, o);
  p.gv = torch::randn({B, L, D}, o);
  return p;
}

struct Result {
  torch::Tensor s, v;
  std::vector<torch::Tensor> grads;  // per leaf (undefined for an absent v0)
};

// use: 0 both outputs, 1 spikes only, 2 membrane only.
Result run(Fn fn, const Problem& pr, const SelectivePlifOptions& opt, int use = 0) {
  std::vector<torch::Tensor> leaves;
  for (const auto& l : pr.leaves)
    leaves.push_back(l.defined() ? l.detach().clone().requires_grad_(true) : l);
  Problem q = pr;
  q.leaves = leaves;
  auto out = fn(q.view(0), q.view(1), q.view(2), q.view(3), opt, q.view(4));
  std::vector<torch::Tensor> outs, gouts, inputs;
  if (use != 2) outs.push_back(out.s), gouts.push_back(pr.gs);
  if (use != 1) outs.push_back(out.v), gouts.push_back(pr.gv);
  for (const auto& l : leaves)
    if (l.defined()) inputs.push_back(l);
  auto g = torch::autograd::grad(outs, inputs, gouts);
  Result r{out.s.detach(), out.v.detach(), {}};
  size_t k = 0;
  for (const auto& l : leaves) r.grads.push_back(l.defined() ? g[k++] : torch::Tensor());
  return r;
}

void check(int64_t B, int64_t L, int64_t D, const SelectivePlifOptions& opt, torch::Dtype dt,
           bool transpose = false, bool with_v0 = false, int use = 0) {
  const double tol = dt == torch::kDouble ? 1e-11 : 2e-4;
  const auto pr = make(B, L, D, dt, transpose, with_v0);
  const auto want = run(&ref::selective_plif, pr, opt, use);
  const std::string name = "B=" + std::to_string(B) + " L=" + std::to_string(L) +
                           " D=" + std::to_string(D) + " " + to_string(opt.surrogate) +
                           (opt.detach_reset ? " detach" : "") + (transpose ? " transposed" : "") +
                           (with_v0 ? " v0" : "") + " use=" + std::to_string(use) +
                           (dt == torch::kDouble ? " f64" : " f32");
  const char* names[] = {"current", "beta", "gain", "v_th", "v0"};
  for (int threads : {1, 2}) {
    with_threads(threads, [&] {
      const auto got = run(&selective_plif, pr, opt, use);
      ASSERT_TRUE(torch::equal(got.s, want.s)) << name << " threads=" << threads;
      ASSERT_TRUE(torch::equal(got.v, want.v)) << name << " threads=" << threads;
      for (int i = 0; i < 5; ++i) {
        if (!want.grads[i].defined()) continue;
        EXPECT_LE(rel_err(got.grads[i], want.grads[i]), tol)
            << name << " threads=" << threads << " d" << names[i];
      }
    });
  }
}

TEST(SelectivePlif, MatchesReferenceOverShapesAndModes) {
  torch::manual_seed(11);
  for (Surrogate k : testing::kAllSurrogates)
    for (bool detach : {false, true}) {
      SelectivePlifOptions o;
      o.surrogate = k, o.detach_reset = detach, o.surrogate_alpha = 2.5f;
      check(3, 33, 37, o, torch::kFloat);
      check(2, 9, 37, o, torch::kDouble, false, true);
    }
  SelectivePlifOptions o;  // NeuronSpark's: sigmoid(4), gradient through the reset
  for (int64_t L : {1, 7, 64})
    for (int64_t D : {1, 5, 130})
      for (int64_t B : {1, 3}) check(B, L, D, o, torch::kFloat);
  check(2, 5, 2100, o, torch::kFloat);  // more channels than one task carries
}

TEST(SelectivePlif, NonContiguousInitialStateAndOneOutput) {
  torch::manual_seed(12);
  SelectivePlifOptions o;
  check(3, 17, 11, o, torch::kFloat, /*transpose=*/true, /*with_v0=*/true);
  check(2, 7, 5, o, torch::kDouble, true, true);
  check(2, 19, 13, o, torch::kFloat, false, true, /*use=*/1);   // spikes only: no dL/dv
  check(2, 19, 13, o, torch::kDouble, false, true, /*use=*/2);  // membrane only: no dL/ds
}

// Running the sequence in two pieces, handing V_post over as v0, equals one pass.
TEST(SelectivePlif, StreamingEqualsOnePass) {
  torch::manual_seed(13);
  const auto pr = make(2, 40, 19, torch::kFloat, false, false);
  const auto& l = pr.leaves;
  const auto whole = selective_plif(l[0], l[1], l[2], l[3]);
  auto first = [&](int i) { return l[i].narrow(1, 0, 25); };
  auto rest = [&](int i) { return l[i].narrow(1, 25, 15); };
  const auto a = selective_plif(first(0), first(1), first(2), first(3));
  const auto b = selective_plif(rest(0), rest(1), rest(2), rest(3), {}, a.v.select(1, 24));
  EXPECT_TRUE(torch::equal(torch::cat({a.s, b.s}, 1), whole.s));
  EXPECT_TRUE(torch::equal(torch::cat({a.v, b.v}, 1), whole.v));
}

// Hand-computed: beta 0.5, gain 2, v_th 1, I = [0.25, 0.5, 0.125] (exact in binary):
//   V_pre 0.5 (no spike) -> V_pre 0.25 + 1 = 1.25 (spike, V_post 0.25) -> 0.125 + 0.25 = 0.375.
TEST(SelectivePlif, HandComputedTinyCase) {
  const auto I = torch::tensor({0.25f, 0.5f, 0.125f}).view({1, 3, 1});
  const auto out = selective_plif(I, torch::full_like(I, 0.5f), torch::full_like(I, 2.f),
                                  torch::full_like(I, 1.f));
  EXPECT_TRUE(torch::equal(out.s, torch::tensor({0.f, 1.f, 0.f}).view({1, 3, 1})));
  EXPECT_TRUE(torch::equal(out.v, torch::tensor({0.5f, 0.25f, 0.375f}).view({1, 3, 1})));
}

// The kernel's backward is the exact derivative of the smooth model in which every spike is
// replaced by s~ = H(h*) + f(h) - f(h*), h* the forward's pre-threshold values: equal in
// value, with slope f'. Built here from papers.md 3.1 in float64 and differentiated by
// central differences, for a smooth surrogate.
double frozen_loss(const std::vector<torch::Tensor>& in, const torch::Tensor& h_star,
                   const torch::Tensor& gs, const torch::Tensor& gv, Surrogate k, double a,
                   bool detach) {
  const auto I = in[0].unbind(1), be = in[1].unbind(1), ga = in[2].unbind(1), th = in[3].unbind(1);
  const auto hs = h_star.unbind(1), g_s = gs.unbind(1), g_v = gv.unbind(1);
  auto v = in[4].clone();
  double loss = 0;
  for (size_t t = 0; t < I.size(); ++t) {
    const auto up = be[t] * v + ga[t] * I[t];
    const auto h = up - th[t];
    const auto s_frozen = hs[t].ge(0).to(torch::kDouble);
    const auto s = s_frozen + testing::surrogate_primitive(k, h, a) -
                   testing::surrogate_primitive(k, hs[t], a);
    v = up - th[t] * (detach ? s_frozen : s);
    loss += (g_s[t] * s).sum().item<double>() + (g_v[t] * v).sum().item<double>();
  }
  return loss;
}

TEST(SelectivePlif, SurrogatePathMatchesFiniteDifferences) {
  torch::manual_seed(14);
  const int64_t B = 2, L = 12, D = 3;
  for (Surrogate k : {Surrogate::Sigmoid, Surrogate::Atan, Surrogate::FastSigmoid})
    for (bool detach : {false, true}) {
      SelectivePlifOptions o;
      o.surrogate = k, o.detach_reset = detach, o.surrogate_alpha = 2.0f;
      const auto pr = make(B, L, D, torch::kDouble, false, true);
      const auto got = run(&selective_plif, pr, o);
      std::vector<torch::Tensor> in;
      for (const auto& l : pr.leaves) in.push_back(l.clone());
      // h* of the forward, recomputed from the spikes-and-membrane definition.
      torch::Tensor h_star;
      {
        auto v = in[4].clone();
        std::vector<torch::Tensor> hs;
        for (int64_t t = 0; t < L; ++t) {
          const auto up = in[1].select(1, t) * v + in[2].select(1, t) * in[0].select(1, t);
          hs.push_back(up - in[3].select(1, t));
          v = got.v.select(1, t);
        }
        h_star = torch::stack(hs, 1);
      }
      ASSERT_TRUE(torch::equal(h_star.ge(0).to(torch::kDouble), got.s));
      const double eps = 1e-6;
      for (int i = 0; i < 5; ++i) {
        auto flat = in[i].view(-1);
        for (int64_t j = 0; j < flat.numel(); j += 5) {
          const double x0 = flat[j].item<double>();
          flat[j] = x0 + eps;
          const double up = frozen_loss(in, h_star, pr.gs, pr.gv, k, 2.0, detach);
          flat[j] = x0 - eps;
          const double dn = frozen_loss(in, h_star, pr.gs, pr.gv, k, 2.0, detach);
          flat[j] = x0;
          const double fd = (up - dn) / (2 * eps);
          EXPECT_NEAR(got.grads[i].reshape(-1)[j].item<double>(), fd,
                      1e-6 * std::max(1.0, std::fabs(fd)))
              << to_string(k) << (detach ? " detach" : "") << " input " << i << " entry " << j;
        }
      }
    }
}

TEST(SelectivePlif, RejectsBadInput) {
  const auto x = torch::zeros({2, 3, 4});
  auto expect_error = [](const std::function<void()>& f, const std::string& part) {
    testing::expect_op_error("[selective_plif]", f, part);
  };
  expect_error([&] { selective_plif(torch::zeros({2, 3}), x, x, x); }, "(B, L, D)");
  expect_error([&] { selective_plif(x, torch::zeros({2, 3, 5}), x, x); }, "does not match");
  expect_error([&] { selective_plif(x, x, x.to(torch::kDouble), x); }, "does not match");
  expect_error([&] { selective_plif(x, x, x, x, {}, torch::zeros({2, 3})); }, "v0");
  expect_error([&] { selective_plif(x.to(torch::kInt), x, x, x); }, "float32 or float64");
}

}  // namespace
}  // namespace spikessm

// Fused parametric LIF vs its reference twin in every mode, streaming == one pass, a hand
// case, and a float64 finite-difference check of the surrogate path against an independent
// frozen-spike model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "neuron_test_util.h"
#include "spikessm/neurons/plif.h"

namespace spikessm {
namespace {

using testing::rel_err;
using testing::with_threads;

using Fn = PlifOutput (*)(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                          const PlifOptions&, const torch::Tensor&);

// Leaves: x (B, L, D) (or (B, D, L) viewed transposed), w (D), v_th (D), v0 (B, D).
struct Problem {
  std::vector<torch::Tensor> leaves;
  bool transpose = false;
  torch::Tensor gs, gv;
  torch::Tensor view(int i) const {
    return transpose && i == 0 ? leaves[0].transpose(1, 2) : leaves[i];
  }
};

Problem make(int64_t B, int64_t L, int64_t D, torch::Dtype dt, bool transpose, bool with_v0) {
  Problem p;
  p.transpose = transpose;
  auto o = torch::dtype(dt);
  auto x = transpose ? torch::randn({B, D, L}, o) : torch::randn({B, L, D}, o);
  // NeuronSpark init: w ~ N(0, 0.5), V_th ~ U(0.25, 0.75); inputs scaled to reach it.
  p.leaves = {x * 1.2 + 0.6, torch::randn({D}, o) * 0.5, torch::rand({D}, o) * 0.5 + 0.25,
              with_v0 ? torch::randn({B, D}, o) * 0.3 : torch::Tensor()};
  p.gs = torch::randn({B, L, D}, o);
  p.gv = torch::randn({B, L, D}, o);
  return p;
}

struct Result {
  torch::Tensor s, v;
  std::vector<torch::Tensor> grads;
};

// use: 0 both outputs, 1 spikes only, 2 membrane only.
Result run(Fn fn, const Problem& pr, const PlifOptions& opt, int use = 0) {
  Problem q = pr;
  for (auto& l : q.leaves)
    if (l.defined()) l = l.detach().clone().requires_grad_(true);
  auto out = fn(q.view(0), q.view(1), q.view(2), opt, q.view(3));
  std::vector<torch::Tensor> outs, gouts, inputs;
  if (use != 2) outs.push_back(out.s), gouts.push_back(pr.gs);
  if (use != 1) outs.push_back(out.v), gouts.push_back(pr.gv);
  for (const auto& l : q.leaves)
    if (l.defined()) inputs.push_back(l);
  auto g = torch::autograd::grad(outs, inputs, gouts);
  Result r{out.s.detach(), out.v.detach(), {}};
  size_t k = 0;
  for (const auto& l : q.leaves) r.grads.push_back(l.defined() ? g[k++] : torch::Tensor());
  return r;
}

std::string describe(const PlifOptions& o) {
  return to_string(o.reset) + (o.decay_input ? " decay_input" : " plain_input") +
         (o.detach_reset ? " detach " : " ") + to_string(o.surrogate);
}

void check(int64_t B, int64_t L, int64_t D, const PlifOptions& opt, torch::Dtype dt,
           bool transpose = false, bool with_v0 = false, int use = 0) {
  // dw and dv_th sum B * L terms: float rounding grows with them.
  const double tol = dt == torch::kDouble ? 1e-11 : 5e-4;
  const auto pr = make(B, L, D, dt, transpose, with_v0);
  const auto want = run(&ref::plif_multistep, pr, opt, use);
  const std::string name = "B=" + std::to_string(B) + " L=" + std::to_string(L) +
                           " D=" + std::to_string(D) + " " + describe(opt) +
                           (transpose ? " transposed" : "") + (with_v0 ? " v0" : "") +
                           " use=" + std::to_string(use) + (dt == torch::kDouble ? " f64" : " f32");
  const char* names[] = {"x", "w", "v_th", "v0"};
  for (int threads : {1, 2}) {
    with_threads(threads, [&] {
      const auto got = run(&plif_multistep, pr, opt, use);
      ASSERT_TRUE(torch::equal(got.s, want.s)) << name << " threads=" << threads;
      ASSERT_TRUE(torch::equal(got.v, want.v)) << name << " threads=" << threads;
      for (int i = 0; i < 4; ++i) {
        if (!want.grads[i].defined()) continue;
        EXPECT_LE(rel_err(got.grads[i], want.grads[i]), tol)
            << name << " threads=" << threads << " d" << names[i];
      }
    });
  }
}

std::vector<PlifOptions> all_modes() {
  std::vector<PlifOptions> out;
  for (auto reset : {ResetMode::Hard, ResetMode::Soft})
    for (bool decay : {true, false})
      for (bool detach : {true, false})
        for (Surrogate k : testing::kAllSurrogates) {
          PlifOptions o;
          o.reset = reset, o.decay_input = decay, o.detach_reset = detach, o.surrogate = k;
          o.surrogate_alpha = 2.5f;
          out.push_back(o);
        }
  return out;
}

TEST(Plif, MatchesReferenceInEveryMode) {
  torch::manual_seed(21);
  for (const auto& o : all_modes()) {
    check(3, 33, 37, o, torch::kFloat);
    check(2, 9, 37, o, torch::kDouble, false, true);
  }
}

TEST(Plif, MatchesReferenceOverShapes) {
  torch::manual_seed(22);
  PlifOptions o;  // NeuronSpark: soft reset, decay_input, sigmoid(4)
  for (int64_t L : {1, 7, 64})
    for (int64_t D : {1, 5, 130})
      for (int64_t B : {1, 3}) check(B, L, D, o, torch::kFloat);
  check(2, 5, 2100, o, torch::kFloat);
  check(3, 17, 11, o, torch::kFloat, /*transpose=*/true, /*with_v0=*/true);
  check(2, 19, 13, o, torch::kDouble, true, true, /*use=*/1);
  check(2, 19, 13, o, torch::kFloat, false, true, /*use=*/2);
}

TEST(Plif, StreamingEqualsOnePass) {
  torch::manual_seed(23);
  const auto pr = make(2, 40, 19, torch::kFloat, false, false);
  const auto& l = pr.leaves;
  for (auto reset : {ResetMode::Hard, ResetMode::Soft}) {
    PlifOptions o;
    o.reset = reset;
    const auto whole = plif_multistep(l[0], l[1], l[2], o);
    const auto a = plif_multistep(l[0].narrow(1, 0, 25), l[1], l[2], o);
    const auto b = plif_multistep(l[0].narrow(1, 25, 15), l[1], l[2], o, a.v.select(1, 24));
    EXPECT_TRUE(torch::equal(torch::cat({a.s, b.s}, 1), whole.s));
    EXPECT_TRUE(torch::equal(torch::cat({a.v, b.v}, 1), whole.v));
  }
}

// w = 0 (beta = 1/2), v_th = 0.5, x = [0.75, 1.0, 0.25], decay_input (exact in binary):
//   V_pre 0.375 -> 0.1875 + 0.5 = 0.6875 (spike) -> soft V_post 0.1875, hard 0
//   -> soft 0.09375 + 0.125 = 0.21875, hard 0.125.
TEST(Plif, HandComputedTinyCase) {
  const auto x = torch::tensor({0.75f, 1.0f, 0.25f}).view({1, 3, 1});
  const auto w = torch::zeros({1}), v_th = torch::full({1}, 0.5f);
  PlifOptions o;
  auto soft = plif_multistep(x, w, v_th, o);
  EXPECT_TRUE(torch::equal(soft.s, torch::tensor({0.f, 1.f, 0.f}).view({1, 3, 1})));
  EXPECT_TRUE(torch::equal(soft.v, torch::tensor({0.375f, 0.1875f, 0.21875f}).view({1, 3, 1})));
  o.reset = ResetMode::Hard;
  auto hard = plif_multistep(x, w, v_th, o);
  EXPECT_TRUE(torch::equal(hard.v, torch::tensor({0.375f, 0.f, 0.125f}).view({1, 3, 1})));
}

// Smooth model with every spike frozen in value and given slope f' (see the selective
// PLIF test), from the PLIF equations in plif.h; float64.
double frozen_loss(const std::vector<torch::Tensor>& in, const torch::Tensor& h_star,
                   const Problem& pr, const PlifOptions& o) {
  const auto beta = torch::sigmoid(in[1]);
  const auto& th = in[2];
  auto v = in[3].clone();
  double loss = 0;
  const double a = o.surrogate_alpha;
  for (int64_t t = 0; t < in[0].size(1); ++t) {
    const auto x = in[0].select(1, t), hs = h_star.select(1, t);
    const auto up = beta * v + (o.decay_input ? (1 - beta) * x : x);
    const auto s_frozen = hs.ge(0).to(torch::kDouble);
    const auto s = s_frozen + testing::surrogate_primitive(o.surrogate, up - th, a) -
                   testing::surrogate_primitive(o.surrogate, hs, a);
    const auto sr = o.detach_reset ? s_frozen : s;
    v = o.reset == ResetMode::Hard ? up * (1 - sr) : up - th * sr;
    loss += (pr.gs.select(1, t) * s).sum().item<double>() +
            (pr.gv.select(1, t) * v).sum().item<double>();
  }
  return loss;
}

TEST(Plif, SurrogatePathMatchesFiniteDifferences) {
  torch::manual_seed(24);
  const int64_t B = 2, L = 12, D = 3;
  for (auto reset : {ResetMode::Hard, ResetMode::Soft})
    for (bool decay : {true, false})
      for (bool detach : {false, true}) {
        PlifOptions o;
        o.reset = reset, o.decay_input = decay, o.detach_reset = detach;
        o.surrogate = reset == ResetMode::Hard ? Surrogate::Atan : Surrogate::Sigmoid;
        o.surrogate_alpha = 2.0f;
        const auto pr = make(B, L, D, torch::kDouble, false, true);
        const auto got = run(&plif_multistep, pr, o);
        std::vector<torch::Tensor> in;
        for (const auto& l : pr.leaves) in.push_back(l.clone());
        torch::Tensor h_star;
        {
          const auto beta = torch::sigmoid(in[1]);
          auto v = in[3].clone();
          std::vector<torch::Tensor> hs;
          for (int64_t t = 0; t < L; ++t) {
            const auto x = in[0].select(1, t);
            hs.push_back(beta * v + (decay ? (1 - beta) * x : x) - in[2]);
            v = got.v.select(1, t);
          }
          h_star = torch::stack(hs, 1);
        }
        ASSERT_TRUE(torch::equal(h_star.ge(0).to(torch::kDouble), got.s)) << describe(o);
        const double eps = 1e-6;
        for (int i = 0; i < 4; ++i) {
          auto flat = in[i].view(-1);
          for (int64_t j = 0; j < flat.numel(); j += (i == 0 ? 5 : 1)) {
            const double x0 = flat[j].item<double>();
            flat[j] = x0 + eps;
            const double up = frozen_loss(in, h_star, pr, o);
            flat[j] = x0 - eps;
            const double dn = frozen_loss(in, h_star, pr, o);
            flat[j] = x0;
            const double fd = (up - dn) / (2 * eps);
            EXPECT_NEAR(got.grads[i].reshape(-1)[j].item<double>(), fd,
                        1e-6 * std::max(1.0, std::fabs(fd)))
                << describe(o) << " input " << i << " entry " << j;
          }
        }
      }
}

TEST(Plif, RejectsBadInput) {
  const auto x = torch::zeros({2, 3, 4});
  const auto w = torch::zeros({4});
  auto expect_error = [](const std::function<void()>& f, const std::string& part) {
    testing::expect_op_error("[plif_multistep]", f, part);
  };
  expect_error([&] { plif_multistep(torch::zeros({2, 3}), w, w); }, "(B, L, D)");
  expect_error([&] { plif_multistep(x, torch::zeros({5}), w); }, "w of shape (D)");
  expect_error([&] { plif_multistep(x, w, torch::zeros({4}, torch::kDouble)); },
               "v_th of shape (D)");
  expect_error([&] { plif_multistep(x, w, w, {}, torch::zeros({3, 4})); }, "v0");
}

}  // namespace
}  // namespace spikessm

// LRF-Dyn's neuron-dynamics recurrence (layers/neural_dynamics.h): a hand-computed case, the
// fused recurrence against its ATen twin, the FFT-convolution (training) mode against the
// recurrence (inference) mode in float64, and central-difference gradients.
#include <gtest/gtest.h>

#include "gradcheck.h"
#include "spikessm/layers/neural_dynamics.h"

using namespace spikessm;

namespace {

struct Params {
  torch::Tensor a, beta, c;
};

// Random stable parameters in float64 (||A||_inf < 1 as the module's parameterisation keeps it).
Params random_params(int64_t k, int64_t D, uint64_t seed) {
  torch::manual_seed(seed);
  auto opt = torch::TensorOptions().dtype(torch::kDouble);
  Params p;
  p.a = 0.3 + 0.6 * torch::rand({k}, opt);
  p.beta = 0.05 * (2 * torch::rand({std::max<int64_t>(k - 1, 0)}, opt) - 1);
  p.c = torch::randn({k, D}, opt);
  return p;
}

}  // namespace

TEST(NeuralDynamics, HandComputedTwoDendrites) {
  // A = [[0.5, 0.1], [0.1, 0.25]], c = 1, gamma = 1, u = (1, 0, 0):
  // X1 = (1, 1) -> 2; X2 = A X1 = (0.6, 0.35) -> 0.95; X3 = A X2 = (0.335, 0.1475) -> 0.4825
  auto opt = torch::TensorOptions().dtype(torch::kDouble);
  auto a = torch::tensor({0.5, 0.25}, opt), beta = torch::tensor({0.1}, opt),
       c = torch::ones({2, 1}, opt);
  auto u = torch::tensor({1.0, 0.0, 0.0}, opt).view({1, 3, 1});
  auto expect = torch::tensor({2.0, 0.95, 0.4825}, opt).view({1, 3, 1});
  EXPECT_TRUE(torch::allclose(ndyn_recurrent(u, a, beta, c, 1.0), expect, 0, 1e-14));
  EXPECT_TRUE(torch::allclose(ref::ndyn_recurrent(u, a, beta, c, 1.0), expect, 0, 1e-14));
  EXPECT_TRUE(torch::allclose(ndyn_parallel(u, a, beta, c, 1.0), expect, 0, 1e-12));
  EXPECT_TRUE(torch::allclose(ndyn_kernel(a, beta, c, 1.0, 3), expect.view({3, 1}), 0, 1e-14));
}

TEST(NeuralDynamics, FusedRecurrenceMatchesReference) {
  const int saved_threads = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (int64_t k : {1, 2, 8}) {
      auto p = random_params(k, 5, 7 + k);
      auto u = torch::randn({3, 13, 5}, torch::kDouble);
      auto fused = ndyn_recurrent(u, p.a, p.beta, p.c, 0.7);
      auto ref = ref::ndyn_recurrent(u, p.a, p.beta, p.c, 0.7);
      EXPECT_TRUE(torch::allclose(fused, ref, 0, 1e-13)) << "k " << k << " threads " << threads;
      // float32 kernel too
      auto f32 = ndyn_recurrent(u.to(torch::kFloat), p.a.to(torch::kFloat),
                                p.beta.to(torch::kFloat), p.c.to(torch::kFloat), 0.7);
      EXPECT_TRUE(torch::allclose(f32.to(torch::kDouble), ref, 1e-4, 1e-5));
    }
  }
  at::set_num_threads(saved_threads);
  // Non-contiguous input: a transposed view.
  auto p = random_params(8, 6, 3);
  auto base = torch::randn({6, 11, 2}, torch::kDouble).permute({2, 1, 0});  // (2, 11, 6) view
  EXPECT_TRUE(torch::allclose(ndyn_recurrent(base, p.a, p.beta, p.c, 1.0),
                              ref::ndyn_recurrent(base.contiguous(), p.a, p.beta, p.c, 1.0), 0,
                              1e-13));
}

TEST(NeuralDynamics, ParallelFftEqualsRecurrence) {
  // Training (FFT convolution, Eq. 15) and inference (recurrence, Eq. 12) are one map.
  for (int64_t N : {1, 7, 64, 200}) {
    auto p = random_params(8, 4, 11 + N);
    auto u = torch::randn({2, N, 4}, torch::kDouble);
    auto par = ndyn_parallel(u, p.a, p.beta, p.c, 1.0);
    auto rec = ndyn_recurrent(u, p.a, p.beta, p.c, 1.0);
    EXPECT_LT((par - rec).abs().max().item<double>(), 1e-11) << "N " << N;
  }
}

TEST(NeuralDynamics, GradientsMatchCentralDifferences) {
  auto p = random_params(3, 2, 5);
  auto u = torch::randn({2, 6, 2}, torch::kDouble);
  spikessm::testing::expect_gradients_match(
      [](std::vector<torch::Tensor>& in) { return ndyn_parallel(in[0], in[1], in[2], in[3], 0.9); },
      {u, p.a, p.beta, p.c}, 1e-6, 1e-6);
  // The reference recurrence differentiated by autograd gives the same gradients.
  auto leaf = [](const torch::Tensor& t) { return t.detach().clone().requires_grad_(true); };
  std::vector<torch::Tensor> x1{leaf(u), leaf(p.a), leaf(p.beta), leaf(p.c)};
  std::vector<torch::Tensor> x2{leaf(u), leaf(p.a), leaf(p.beta), leaf(p.c)};
  auto r = torch::randn({2, 6, 2}, torch::kDouble);
  auto g1 = torch::autograd::grad({(ndyn_parallel(x1[0], x1[1], x1[2], x1[3], 0.9) * r).sum()}, x1);
  auto g2 =
      torch::autograd::grad({(ref::ndyn_recurrent(x2[0], x2[1], x2[2], x2[3], 0.9) * r).sum()}, x2);
  for (size_t i = 0; i < g1.size(); ++i)
    EXPECT_TRUE(torch::allclose(g1[i], g2[i], 1e-9, 1e-10)) << i;
}

TEST(NeuralDynamics, ModuleModesAgreeAndStayStable) {
  NeuralDynamics m(NeuralDynamicsOptions(6));
  m->to(torch::kDouble);
  {
    torch::NoGradGuard g;
    m->w.uniform_(-6, 6);  // extreme decays and couplings
    m->b.uniform_(-6, 6);
  }
  auto A = ref::ndyn_matrix(m->decay(), m->coupling());
  EXPECT_LT(A.abs().sum(1).max().item<double>(), 1.0);  // ||A||_inf < 1
  auto u = torch::randn({2, 30, 6}, torch::kDouble);
  m->train();
  auto par = m(u);
  m->eval();
  auto rec = m(u);
  EXPECT_LT((par - rec).abs().max().item<double>(), 1e-11);
  EXPECT_THROW(ndyn_parallel(u, m->decay(), m->coupling(), m->c.narrow(1, 0, 5), 1.0), c10::Error);
}

// Event-driven spike x weight product: bit-equal to its scalar twin, equal to the dense
// float64 product within float rounding, and the block's inference path agrees with dense.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "../src/kernels/cpu/spike_linear_cpu.h"
#include "spikessm/layers/spiking_ssm_block.h"
#include "spikessm/neurons/sparse_mix.h"

using namespace spikessm;

namespace {

torch::Tensor spikes(int64_t M, int64_t K, double rate) {
  return (torch::rand({M, K}) < rate).to(torch::kFloat);
}

struct Shape {
  int64_t M, K, N;
};
// How GoogleTest (and so CTest's test list) prints a Shape parameter: "M37 K64 N128".
void PrintTo(const Shape& s, std::ostream* os) { *os << "M" << s.M << " K" << s.K << " N" << s.N; }

// "M37_K64_N128_rate10pct_2threads": the case a parameterised test ran, readable in its name.
std::string case_name(const ::testing::TestParamInfo<std::tuple<Shape, double, int>>& info) {
  const auto& [s, rate, threads] = info.param;
  return "M" + std::to_string(s.M) + "_K" + std::to_string(s.K) + "_N" + std::to_string(s.N) +
         "_rate" + std::to_string(int(rate * 100 + 0.5)) + "pct_" + std::to_string(threads) +
         "threads";
}

class SpikeLinearTest : public ::testing::TestWithParam<std::tuple<Shape, double, int>> {};

// Random spikes at `rate`, weights and bias for one case, on `threads` threads until destroyed.
struct Case {
  torch::Tensor s, wt, bias;
  int saved_threads;
  Case(const Shape& shape, double rate, int threads, uint64_t seed)
      : saved_threads(at::get_num_threads()) {
    at::set_num_threads(threads);
    torch::manual_seed(seed);
    s = spikes(shape.M, shape.K, rate);
    wt = torch::randn({shape.K, shape.N});
    bias = torch::randn({shape.N});
  }
  ~Case() { at::set_num_threads(saved_threads); }
};

TEST_P(SpikeLinearTest, KernelIsBitEqualToRefAndCloseToDense) {
  auto [shape, rate, threads] = GetParam();
  Case c(shape, rate, threads, 3);
  auto &s = c.s, &wt = c.wt, &bias = c.bias;
  auto out = spike_linear(s, wt, bias);
  auto twin = ref::spike_linear(s, wt, bias);
  EXPECT_TRUE(torch::equal(out, twin)) << "max diff " << (out - twin).abs().max().item<float>();
  auto exact = torch::addmm(bias.to(torch::kDouble), s.to(torch::kDouble), wt.to(torch::kDouble));
  // Float32 sums of up to K terms of size ~1: a few ulps of the running sum each.
  const double tol = 1e-6 * double(shape.K) + 1e-6;
  EXPECT_LE((out.to(torch::kDouble) - exact).abs().max().item<double>(), tol);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SpikeLinearTest,
                         ::testing::Combine(::testing::Values(Shape{37, 64, 128}, Shape{5, 100, 13},
                                                              Shape{64, 400, 800}, Shape{3, 1, 9},
                                                              Shape{1, 130, 72}),
                                            ::testing::Values(0.0, 0.1, 0.5, 1.0),
                                            ::testing::Values(1, 2)),
                         case_name);

// The fused GLU: sums bit-equal to the twin's, so outputs differ only by the sigmoid's exp
// (vectorised in the kernel, std::exp in the twin); and close to the dense float64 GLU.
class SpikeLinearGluTest : public ::testing::TestWithParam<std::tuple<Shape, double, int>> {};

TEST_P(SpikeLinearGluTest, FusedGluMatchesTwinAndDense) {
  auto [shape, rate, threads] = GetParam();
  Case c(shape, rate, threads, 13);
  auto &s = c.s, &wt = c.wt, &bias = c.bias;
  auto out = spike_linear(s, wt, bias, /*glu=*/true);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{shape.M, shape.N / 2}));
  auto twin = ref::spike_linear(s, wt, bias, /*glu=*/true);
  EXPECT_TRUE(torch::allclose(out, twin, 1e-6, 1e-6)) << (out - twin).abs().max().item<float>();
  auto z = torch::addmm(bias.to(torch::kDouble), s.to(torch::kDouble), wt.to(torch::kDouble));
  auto exact = glu_halves(z);
  const double tol = 1e-6 * double(shape.K) + 1e-6;
  EXPECT_LE((out.to(torch::kDouble) - exact).abs().max().item<double>(), tol);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SpikeLinearGluTest,
                         ::testing::Combine(::testing::Values(Shape{37, 64, 128}, Shape{5, 100, 26},
                                                              Shape{64, 400, 800}, Shape{3, 1, 2},
                                                              Shape{1, 130, 72}),
                                            ::testing::Values(0.0, 0.1, 1.0),
                                            ::testing::Values(1, 2)),
                         case_name);

TEST(SpikeLinear, GluHandComputedCase) {
  // s = [1, 1], W^T rows [1, 0], [2, ln 3]: z = [3, ln 3] -> 3 * sigmoid(ln 3) = 3 * 3/4.
  auto s = torch::tensor({1.f, 1.f}).view({1, 2});
  auto wt = torch::tensor({1.f, 0.f, 2.f, float(std::log(3.0))}).view({2, 2});
  auto out = spike_linear(s, wt, torch::Tensor(), /*glu=*/true);
  EXPECT_NEAR(out.item<float>(), 2.25f, 1e-6f);
  EXPECT_THROW(spike_linear(s, torch::zeros({2, 3}), torch::Tensor(), true), c10::Error);
}

TEST(SpikeLinear, NonContiguousInputAndNoBias) {
  torch::manual_seed(4);
  auto big = spikes(40, 150, 0.2);
  auto s = big.narrow(1, 7, 96);  // row stride 150, unit column stride
  auto wt = torch::randn({96, 40});
  auto out = spike_linear(s, wt, torch::Tensor());
  EXPECT_TRUE(torch::equal(out, ref::spike_linear(s, wt, torch::Tensor())));
  EXPECT_TRUE(torch::allclose(out, torch::mm(s, wt), 1e-5, 1e-5));
  auto st = spikes(96, 40, 0.2).t();  // column stride != 1: copied first
  auto wt2 = torch::randn({96, 8});
  EXPECT_TRUE(torch::equal(spike_linear(st, wt2, torch::Tensor()),
                           ref::spike_linear(st.contiguous(), wt2, torch::Tensor())));
}

TEST(SpikeLinear, HandComputedCase) {
  // s = [[1,0,1],[0,0,0]], W^T rows r0, r1, r2: out0 = b + r0 + r2, out1 = b.
  auto s = torch::tensor({1.f, 0.f, 1.f, 0.f, 0.f, 0.f}).view({2, 3});
  auto wt = torch::tensor({1.f, 2.f, 10.f, 20.f, 100.f, 200.f}).view({3, 2});
  auto b = torch::tensor({0.5f, -0.5f});
  auto out = spike_linear(s, wt, b);
  EXPECT_TRUE(torch::equal(out, torch::tensor({101.5f, 201.5f, 0.5f, -0.5f}).view({2, 2})));
}

TEST(SpikeLinear, RejectsBadShapes) {
  EXPECT_THROW(spike_linear(torch::zeros({2, 3}), torch::zeros({4, 2}), torch::Tensor()),
               c10::Error);
  EXPECT_THROW(
      spike_linear(torch::zeros({2, 3}, torch::kDouble), torch::zeros({3, 2}), torch::Tensor()),
      c10::Error);
}

TEST(SpikeMixLinear, ChoosesByMeasuredCrossover) {
  const double x = spike_linear_crossover(64, 128);
  EXPECT_GE(x, 0.0);
  EXPECT_LE(x, 1.0);
  EXPECT_EQ(x, spike_linear_crossover(64, 128));  // cached
  torch::manual_seed(5);
  auto wt = torch::randn({64, 128}), b = torch::randn({128});
  auto s = spikes(300, 64, 0.1);
  MixChoice c;
  auto forced = spike_mix_linear(s, wt, b, MixKernel::Sparse, &c);
  EXPECT_TRUE(c.sparse);
  EXPECT_NEAR(c.rate, s.sum().item<double>() / double(s.numel()), 1e-12);
  EXPECT_TRUE(torch::equal(forced, ref::spike_linear(s, wt, b)));
  spike_mix_linear(s, wt, b, MixKernel::Dense, &c);
  EXPECT_FALSE(c.sparse);
  spike_mix_linear(s, wt, b, MixKernel::Auto, &c);
  EXPECT_EQ(c.sparse, c.rate < x || x >= 1.0);
  auto dense_in = spikes(300, 64, 1.0);  // every input active: rate 1 never beats the crossover
  spike_mix_linear(dense_in, wt, b, MixKernel::Auto, &c);
  EXPECT_EQ(c.sparse, x >= 1.0);
}

TEST(SpikeMixLinear, BlockInferenceMatchesDense) {
  torch::manual_seed(6);
  SpikingSSMBlockOptions o(32, 8);
  SpikingSSMBlock block(o);
  block->eval();
  auto x = torch::randn({3, 50, 32}) * 3;
  torch::NoGradGuard ng;
  block->options.mix_kernel(MixKernel::Dense);
  auto dense = block->forward(x);
  block->options.mix_kernel(MixKernel::Sparse);
  auto sparse = block->forward(x);
  EXPECT_EQ(block->sparse_mix_calls, 1);
  EXPECT_TRUE(torch::allclose(sparse, dense, 1e-5, 1e-5))
      << (sparse - dense).abs().max().item<float>();
  // With grad enabled the block takes the differentiable product (spike_mm), not this one.
  torch::GradMode::set_enabled(true);
  auto y = block->forward(x);
  EXPECT_EQ(block->sparse_mix_calls, 1);
  torch::GradMode::set_enabled(false);
}

}  // namespace

// The weight gradient s^T g of training's event-driven product: bit-equal to its scalar twin
// at 1 and 2 threads, over one and two 64-bit words of inputs, outputs not a multiple of 8.
TEST(SpikeMm, WeightGradKernelIsBitEqualToTwin) {
  for (const Shape& shape : {Shape{37, 64, 128}, Shape{100, 70, 20}, Shape{5, 3, 9}})
    for (double rate : {0.05, 0.3})
      for (int threads : {1, 2}) {
        Case c(shape, rate, threads, 21);
        const auto g = torch::randn({shape.M, shape.N});
        std::vector<uint64_t> bits(size_t(shape.M * kernels::spike_words(shape.K)));
        kernels::SpikePackParams pp;
        pp.M = shape.M, pp.K = shape.K, pp.s = c.s.data_ptr<float>(), pp.ld_s = shape.K;
        pp.bits = bits.data();
        kernels::spike_pack_cpu(pp);
        auto dwt = torch::full({shape.K, shape.N}, 7.0f), want = torch::empty_like(dwt);
        kernels::SpikeLinearGradParams gp;
        gp.M = shape.M, gp.K = shape.K, gp.N = shape.N, gp.bits = bits.data();
        gp.g = g.data_ptr<float>(), gp.dwt = dwt.data_ptr<float>();
        kernels::spike_linear_weight_grad_cpu(gp);
        kernels::ref::spike_linear_weight_grad_ref(shape.M, shape.K, shape.N, c.s.data_ptr<float>(),
                                                   g.data_ptr<float>(), want.data_ptr<float>());
        EXPECT_TRUE(torch::equal(dwt, want))
            << "M" << shape.M << " K" << shape.K << " N" << shape.N << " rate " << rate;
      }
}

// spike_mm forward and backward, event-driven (threshold 1) and dense (threshold 0), against
// the float64 product: within float32 rounding; the event-driven path the same bits at 1 and
// 2 threads.
TEST(SpikeMm, MatchesFloat64ProductBothWays) {
  const Shape shape{300, 64, 128};
  std::vector<torch::Tensor> sparse_runs[2];
  for (int threads : {1, 2})
    for (double below : {1.0, 0.0}) {
      Case c(shape, 0.2, threads, 22);
      const auto g = torch::randn({shape.M, shape.N});
      auto s = c.s.clone().requires_grad_(true), wt = c.wt.clone().requires_grad_(true);
      auto z = spike_mm(s, wt, below);
      auto grads = torch::autograd::grad({z}, {s, wt}, {g});
      auto s64 = c.s.to(torch::kDouble).requires_grad_(true);
      auto wt64 = c.wt.to(torch::kDouble).requires_grad_(true);
      auto z64 = ref::spike_mm(s64, wt64);
      auto want = torch::autograd::grad({z64}, {s64, wt64}, {g.to(torch::kDouble)});
      const std::string where =
          "threads " + std::to_string(threads) + " below " + std::to_string(below);
      EXPECT_TRUE(torch::allclose(z.to(torch::kDouble), z64, 1e-5, 1e-4)) << where;
      for (int i = 0; i < 2; ++i)
        EXPECT_TRUE(torch::allclose(grads[i].to(torch::kDouble), want[i], 1e-5, 1e-4))
            << where << " grad " << i;
      if (below == 1.0) {
        sparse_runs[threads - 1] = {z, grads[0], grads[1]};
      }
    }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(sparse_runs[0][i], sparse_runs[1][i])) << i;
  EXPECT_THROW(spike_mm(torch::zeros({4, 5}), torch::zeros({6, 2})), c10::Error);
}

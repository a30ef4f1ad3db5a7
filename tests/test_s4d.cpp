// S4D: fused ops vs their reference twins, convolution vs step mode, float64 gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "../src/kernels/cpu/diag_ssm_cpu.h"
#include "gradcheck.h"
#include "spikessm/ssm/s4d.h"
#include "spikessm/ssm/s4d_ops.h"

using namespace spikessm;

namespace {
torch::Tensor random_modes(int64_t H, int64_t M, torch::ScalarType dt) {
  // |z| < 1 like a discretised stable SSM.
  auto mag = torch::rand({H, M}, dt) * 0.5 + 0.45;
  auto ang = torch::rand({H, M}, dt) * 6.0;
  return torch::stack({mag * torch::cos(ang), mag * torch::sin(ang)}, -1);
}
}  // namespace

TEST(S4DOps, VandermondeMatchesReference) {
  torch::manual_seed(0);
  for (int64_t L : {1, 7, 100}) {
    auto w = torch::randn({2, 3, 5, 2}, torch::kDouble).requires_grad_(true);
    auto z = random_modes(3, 5, torch::kDouble).requires_grad_(true);
    auto k = s4d_vandermonde(w, z, L);
    auto kr = ref::s4d_vandermonde(w, z, L);
    EXPECT_TRUE(torch::allclose(k, kr, 1e-9, 1e-10)) << "L " << L;
    auto g = torch::randn_like(k);
    auto ga = torch::autograd::grad({(k * g).sum()}, {w, z});
    auto gb = torch::autograd::grad({(kr * g).sum()}, {w, z});
    EXPECT_TRUE(torch::allclose(ga[0], gb[0], 1e-8, 1e-9));
    EXPECT_TRUE(torch::allclose(ga[1], gb[1], 1e-8, 1e-9));
  }
}

TEST(S4DOps, FftConvMatchesReferenceAndDirectSum) {
  torch::manual_seed(1);
  for (int64_t B : {1, 3}) {
    const int64_t L = 37, H = 4, n = fft_size_for(2 * L);
    auto u = torch::randn({B, L, H}, torch::kDouble).requires_grad_(true);
    auto kc = torch::randn({H, n}, torch::kDouble).requires_grad_(true);
    auto d = torch::randn({H}, torch::kDouble).requires_grad_(true);
    auto y = fft_conv(u, kc, d), yr = ref::fft_conv(u, kc, d);
    EXPECT_TRUE(torch::allclose(y, yr, 1e-9, 1e-10));
    // Independent check: the direct sum over causal and anti-causal lags.
    auto direct = u * d;
    for (int64_t t = 0; t < L; ++t)
      for (int64_t s = 0; s < L; ++s) {
        const int64_t lag = ((t - s) % n + n) % n;
        direct.select(1, t) += u.select(1, s) * kc.select(1, lag);
      }
    EXPECT_TRUE(torch::allclose(y, direct, 1e-9, 1e-10));
    auto g = torch::randn_like(y);
    auto ga = torch::autograd::grad({(y * g).sum()}, {u, kc, d});
    auto gb = torch::autograd::grad({(yr * g).sum()}, {u, kc, d});
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::allclose(ga[i], gb[i], 1e-8, 1e-9)) << i;
  }
}

TEST(S4DOps, FftConvSameWithOneAndTwoThreads) {
  torch::manual_seed(2);
  // Inputs that require grad: the worker threads must not record a graph of their own.
  auto u = torch::randn({5, 50, 8}).requires_grad_(true);
  auto kc = torch::randn({8, fft_size_for(100)}).requires_grad_(true);
  auto d = torch::randn({8}).requires_grad_(true);
  auto g = torch::randn({5, 50, 8});
  const int saved = at::get_num_threads();
  std::vector<torch::Tensor> out[2];
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    auto y = fft_conv(u, kc, d);
    out[threads - 1] = torch::autograd::grad({(y * g).sum()}, {u, kc, d});
    out[threads - 1].push_back(y.detach());
  }
  at::set_num_threads(saved);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(torch::allclose(out[0][i], out[1][i], 1e-5, 1e-5)) << i;
}

TEST(S4DOps, DiagSsmScanMatchesReference) {
  torch::manual_seed(6);
  for (int64_t C : {1, 2})
    for (int64_t L : {1, 2, 29})
      for (int64_t H : {1, 3, 19}) {  // odd H exercises the padded tail lanes
        auto u = torch::randn({2, L, H}, torch::kDouble).requires_grad_(true);
        auto w = torch::randn({C, H, 4, 2}, torch::kDouble).requires_grad_(true);
        auto z = random_modes(H, 4, torch::kDouble).requires_grad_(true);
        auto d = torch::randn({H}, torch::kDouble).requires_grad_(true);
        auto y = diag_ssm(u, w, z, d), yr = ref::diag_ssm(u, w, z, d);
        ASSERT_TRUE(torch::allclose(y, yr, 1e-9, 1e-10)) << "C " << C << " L " << L << " H " << H;
        auto g = torch::randn_like(y);
        auto ga = torch::autograd::grad({(y * g).sum()}, {u, w, z, d});
        auto gb = torch::autograd::grad({(yr * g).sum()}, {u, w, z, d});
        for (int i = 0; i < 4; ++i)
          EXPECT_TRUE(torch::allclose(ga[i], gb[i], 1e-8, 1e-9))
              << "grad " << i << " C " << C << " L " << L << " H " << H;
      }
}

TEST(S4DOps, DiagSsmFloat32CloseToFloat64AndThreadInvariant) {
  torch::manual_seed(7);
  auto u = torch::randn({3, 300, 37});
  auto w = torch::randn({2, 37, 8, 2});
  auto z = random_modes(37, 8, torch::kFloat);
  auto d = torch::randn({37});
  const int saved = at::get_num_threads();
  at::set_num_threads(1);
  auto y1 = diag_ssm(u, w, z, d);
  at::set_num_threads(2);
  auto y2 = diag_ssm(u, w, z, d);
  at::set_num_threads(saved);
  EXPECT_TRUE(torch::equal(y1, y2));
  auto y64 = diag_ssm(u.to(torch::kDouble), w.to(torch::kDouble), z.to(torch::kDouble),
                      d.to(torch::kDouble));
  EXPECT_LT((y1.to(torch::kDouble) - y64).abs().max().item<double>(), 1e-4);
}

// Training gradients carry float subnormals (below 2^-126) between long zero stretches; the scan
// flushes them to zero (they lie below the last bit of any result above ~1e-31) instead of
// paying an x86 microcode assist on each FMA that touches one. The caller's float mode stays.
TEST(S4DOps, DiagSsmFlushesSubnormalGradientsOnlyInsideTheScan) {
  torch::manual_seed(10);
  const int64_t B = 2, L = 400, H = 19, M = 6;
  auto u = torch::randn({B, L, H});
  auto w = torch::randn({1, H, M, 2});
  auto z = random_modes(H, M, torch::kFloat);
  auto d = torch::randn({H});
  // Gradient: zero, with a few entries of normal size (1e-6) and many subnormal ones (1e-40).
  auto pick = torch::rand({B, L, H});
  auto g = torch::where(pick < 0.02, torch::randn({B, L, H}) * 1e-6, torch::zeros({B, L, H}));
  g = torch::where(pick > 0.9, torch::full({B, L, H}, 1e-40f), g);
  ASSERT_GT(g.abs().gt(0).logical_and(g.abs().lt(1.1754944e-38)).sum().item<int64_t>(), 0);
  auto grads = [&](torch::ScalarType dt, const torch::Tensor& gy) {
    std::vector<torch::Tensor> in = {u.to(dt).requires_grad_(true), w.to(dt).requires_grad_(true),
                                     z.to(dt).requires_grad_(true), d.to(dt).requires_grad_(true)};
    auto y = diag_ssm(in[0], in[1], in[2], in[3]);
    return torch::autograd::grad({(y * gy.to(dt)).sum()}, in);
  };
#if defined(__SSE__)
  const unsigned mode = _mm_getcsr() & ~0x3fu;  // the control bits, not the exception flags
#endif
  auto g32 = grads(torch::kFloat, g), g64 = grads(torch::kDouble, g);
#if defined(__SSE__)
  EXPECT_EQ(_mm_getcsr() & ~0x3fu, mode);
#endif
  for (int i = 0; i < 4; ++i) {
    const double scale = g64[i].abs().max().item<double>();
    ASSERT_GT(scale, 0.0) << i;
    EXPECT_LT((g32[i].to(torch::kDouble) - g64[i]).abs().max().item<double>(), 1e-5 * scale) << i;
  }
  // A gradient made only of subnormals reads as zero inside the scan: every gradient is 0.
  auto only_subnormal =
      torch::where(pick > 0.5, torch::full({B, L, H}, 1e-40f), torch::zeros({B, L, H}));
  for (const auto& t : grads(torch::kFloat, only_subnormal))
    EXPECT_EQ(t.abs().max().item<float>(), 0.0f);
}

// The AVX-512 copy of the scan (an avx2 build on a CPU with AVX-512) against the build's own:
// the same outputs, gradients and carried stream state, bit for bit.
TEST(S4DOps, DiagSsmAvx512PathEqualsBuildPathBitForBit) {
  if (!kernels::diag_ssm_avx512_available())
    GTEST_SKIP() << "this build has no AVX-512 copy of the scan, or this CPU has no AVX-512";
  torch::manual_seed(9);
  for (auto dt : {torch::kFloat, torch::kDouble})
    for (int64_t C : {1, 2})
      for (int64_t H : {5, 19, 64}) {  // one partial vector, a full one plus a tail, exact
        auto u = torch::randn({3, 45, H}, dt).requires_grad_(true);
        auto w = torch::randn({C, H, 7, 2}, dt).requires_grad_(true);
        auto z = random_modes(H, 7, dt).requires_grad_(true);
        auto d = torch::randn({H}, dt).requires_grad_(true);
        auto g = torch::randn({3, 45, H}, dt);
        std::vector<torch::Tensor> out[2];
        for (int path = 0; path < 2; ++path) {
          kernels::set_diag_ssm_path(path ? kernels::DiagSsmPath::Avx512
                                          : kernels::DiagSsmPath::Build);
          auto y = diag_ssm(u, w, z, d);
          out[path] = torch::autograd::grad({(y * g).sum()}, {u, w, z, d});
          out[path].push_back(y.detach());
          if (C == 1) {  // two chunks carrying the state
            auto st = torch::zeros({3, H, 7, 2}, dt);
            auto a = diag_ssm_stream(u.detach().narrow(1, 0, 20), w.detach(), z.detach(),
                                     d.detach(), st);
            auto b = diag_ssm_stream(u.detach().narrow(1, 20, 25), w.detach(), z.detach(),
                                     d.detach(), st);
            out[path].push_back(torch::cat({a, b}, 1));
            out[path].push_back(st);
          }
        }
        kernels::set_diag_ssm_path(kernels::DiagSsmPath::Auto);
        ASSERT_EQ(out[0].size(), out[1].size());
        for (size_t i = 0; i < out[0].size(); ++i)
          EXPECT_TRUE(torch::equal(out[0][i], out[1][i]))
              << "output " << i << " dtype " << dt << " C " << C << " H " << H;
      }
}

TEST(S4D, ScanEqualsFftConvolution) {
  torch::manual_seed(8);
  for (bool bidirectional : {false, true}) {
    S4D s4d(S4DOptions(5, 16).bidirectional(bidirectional));
    s4d->to(torch::kDouble);
    auto u = torch::randn({2, 64, 5}, torch::kDouble);
    auto y_scan = s4d(u);
    s4d->options.use_fft(true);
    auto y_fft = s4d(u);
    EXPECT_TRUE(torch::allclose(y_scan, y_fft, 1e-9, 1e-10)) << bidirectional;
  }
}

TEST(S4D, ConvolutionEqualsStepMode) {
  torch::manual_seed(3);
  for (auto init : {S4DInit::Lin, S4DInit::Inv}) {
    for (bool trainable_b : {false, true}) {
      S4D s4d(S4DOptions(6, 16).init(init).trainable_b(trainable_b));
      s4d->to(torch::kDouble);
      if (trainable_b) s4d->b.data().add_(torch::randn_like(s4d->b) * 0.3);
      auto u = torch::randn({2, 53, 6}, torch::kDouble);
      torch::NoGradGuard g;
      auto y_conv = s4d(u), y_step = s4d->forward_recurrent(u);
      s4d->options.use_fft(true);
      auto y_fft = s4d(u);
      EXPECT_TRUE(torch::allclose(y_fft, y_step, 1e-9, 1e-9));
      EXPECT_TRUE(torch::allclose(y_conv, y_step, 1e-9, 1e-9))
          << (y_conv - y_step).abs().max().item<double>();
    }
  }
}

TEST(S4D, BidirectionalSeesTheFuture) {
  torch::manual_seed(4);
  S4D causal(S4DOptions(3, 8)), bidir(S4DOptions(3, 8).bidirectional(true));
  auto u = torch::zeros({1, 20, 3});
  u[0][10] = 1.0;  // an impulse at t = 10
  torch::NoGradGuard g;
  auto yc = causal(u), yb = bidir(u);
  EXPECT_LT(yc.narrow(1, 0, 10).abs().max().item<double>(), 1e-6);  // causal: nothing before
  EXPECT_GT(yb.narrow(1, 0, 10).abs().max().item<double>(), 1e-4);  // bidirectional: echoes back
}

TEST(S4D, GradientsMatchCentralDifferences) {
  torch::manual_seed(5);
  for (bool use_fft : {false, true})
    for (bool bidirectional : {false, true}) {
      S4D s4d(S4DOptions(3, 8).bidirectional(bidirectional).trainable_b(true).use_fft(use_fft));
      s4d->to(torch::kDouble);
      S4DImpl& m = *s4d;
      // Swap the module's parameters for the checked inputs, run, and swap back.
      auto f = [&](std::vector<torch::Tensor>& in) {
        auto saved = std::make_tuple(m.log_dt, m.c, m.log_a_real, m.a_imag, m.b, m.d);
        m.log_dt = in[1], m.c = in[2], m.log_a_real = in[3], m.a_imag = in[4], m.b = in[5],
        m.d = in[6];
        auto y = m.forward(in[0]);
        std::tie(m.log_dt, m.c, m.log_a_real, m.a_imag, m.b, m.d) = saved;
        return y;
      };
      spikessm::testing::expect_gradients_match(
          f, {torch::randn({2, 11, 3}), m.log_dt.detach(), m.c.detach(), m.log_a_real.detach(),
              m.a_imag.detach(), m.b.detach(), m.d.detach()});
    }
}

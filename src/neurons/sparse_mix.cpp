#include "spikessm/neurons/sparse_mix.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "../kernels/cpu/spike_linear_cpu.h"
#include "spikessm/common/error.h"

namespace spikessm {

namespace {

void check_args(const char* op, const torch::Tensor& s, const torch::Tensor& wt,
                const torch::Tensor& bias, bool glu) {
  TORCH_CHECK(!glu || wt.dim() != 2 || wt.size(1) % 2 == 0, "[", op,
              "] the GLU needs an even number of outputs, got ", wt.size(1));
  TORCH_CHECK(s.dim() == 2 && wt.dim() == 2, "[", op, "] expected s (M, K) and wt (K, N), got ",
              s.sizes(), " and ", wt.sizes());
  TORCH_CHECK(s.size(1) == wt.size(0), "[", op, "] s has K = ", s.size(1), " but wt has ",
              wt.size(0), " rows");
  TORCH_CHECK(s.scalar_type() == torch::kFloat && wt.scalar_type() == torch::kFloat, "[", op,
              "] float32 only");
  TORCH_CHECK(s.device().is_cpu() && wt.device().is_cpu(), "[", op, "] CPU tensors only");
  if (bias.defined())
    TORCH_CHECK(
        bias.dim() == 1 && bias.size(0) == wt.size(1) && bias.scalar_type() == torch::kFloat, "[",
        op, "] bias must be float32 (N) with N = ", wt.size(1));
}

struct Packed {
  std::vector<uint64_t> bits;
  int64_t active = 0;
};

// s: (M, K) with unit stride along K -> bits (M, ceil(K/64))
Packed pack(const torch::Tensor& s) {
  Packed p;
  const int64_t M = s.size(0), K = s.size(1);
  p.bits.resize(size_t(M * kernels::spike_words(K)));
  kernels::SpikePackParams pp;
  pp.M = M;
  pp.K = K;
  pp.s = s.data_ptr<float>();
  pp.ld_s = s.stride(0);
  pp.bits = p.bits.data();
  p.active = kernels::spike_pack_cpu(pp);
  return p;
}

torch::Tensor accumulate(const Packed& p, int64_t M, const torch::Tensor& wt,
                         const torch::Tensor& bias, bool glu) {
  auto w = wt.contiguous();
  auto b = bias.defined() ? bias.contiguous() : bias;
  auto out = torch::empty({M, glu ? w.size(1) / 2 : w.size(1)}, w.options());
  kernels::SpikeLinearParams lp;
  lp.M = M;
  lp.K = w.size(0);
  lp.N = w.size(1);
  lp.bits = p.bits.data();
  lp.wt = w.data_ptr<float>();
  lp.bias = b.defined() ? b.data_ptr<float>() : nullptr;
  lp.out = out.data_ptr<float>();
  lp.glu = glu;
  kernels::spike_linear_cpu(lp);
  return out;
}

torch::Tensor unit_stride(const torch::Tensor& s) { return s.stride(1) == 1 ? s : s.contiguous(); }

torch::Tensor dense(const torch::Tensor& s, const torch::Tensor& wt, const torch::Tensor& bias,
                    bool glu) {
  auto z = bias.defined() ? torch::addmm(bias, s, wt) : torch::mm(s, wt);
  return glu ? glu_halves(z) : z;
}

// Deterministic synthetic spikes at a given rate (no global RNG: calibration must not
// change what a seeded run draws next). s: (M, K)
torch::Tensor synthetic_spikes(int64_t M, int64_t K, double rate, uint64_t seed) {
  auto s = torch::empty({M, K});
  float* p = s.data_ptr<float>();
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < M * K; ++i) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    p[i] = double(z >> 11) * 0x1.0p-53 < rate ? 1.0f : 0.0f;
  }
  return s;
}

template <typename F>
double best_seconds(F&& f, int reps) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

double measure_crossover(int64_t K, int64_t N, bool glu) {
  torch::NoGradGuard no_grad;
  // Enough rows that each kernel takes ~0.1-1 ms, so timer noise stays small.
  const int64_t M =
      std::clamp<int64_t>((int64_t(1) << 25) / std::max<int64_t>(K * N, 1), 256, 16384);
  auto wt = synthetic_spikes(K, N, 0.5, 7).sub_(0.5);  // any values: only timing matters
  auto bias = synthetic_spikes(1, N, 0.5, 8).view({N});
  const double rates[] = {0.01, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9};
  auto s_dense = synthetic_spikes(M, K, 0.2, 9);
  dense(s_dense, wt, bias, glu);  // warm-up
  const double t_dense = best_seconds([&] { dense(s_dense, wt, bias, glu); }, 5);
  double prev_rate = 0, prev_t = -1;
  for (double r : rates) {
    auto s = synthetic_spikes(M, K, r, 10 + uint64_t(r * 1000));
    const double t = best_seconds([&] { accumulate(pack(s), M, wt, bias, glu); }, 3);
    if (t >= t_dense) {  // crossed: interpolate between the last faster rate and this one
      if (prev_t < 0) return 0.0;
      return prev_rate + (r - prev_rate) * (t_dense - prev_t) / std::max(t - prev_t, 1e-12);
    }
    prev_rate = r;
    prev_t = t;
  }
  return 1.0;
}

// z = s wt with s binary: the event-driven kernels for the product and the weight gradient
// below the rate threshold, GEMMs above it; the input gradient is always a GEMM.
struct SpikeMmFunction : torch::autograd::Function<SpikeMmFunction> {
  // s: (M, K) in {0, 1}, wt: (K, N) -> (M, N)
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& s,
                               const torch::Tensor& wt, double sparse_below) {
    const int64_t M = s.size(0), K = s.size(1);
    Packed p = pack(s);
    const bool sparse = M * K > 0 && double(p.active) < sparse_below * double(M * K);
    ctx->saved_data["sparse"] = sparse;
    if (!sparse) {
      ctx->save_for_backward({s, wt});
      return torch::mm(s, wt);
    }
    auto bits = torch::empty({int64_t(p.bits.size())}, torch::kInt64);
    std::memcpy(bits.data_ptr<int64_t>(), p.bits.data(), p.bits.size() * sizeof(uint64_t));
    ctx->save_for_backward({bits, wt});
    ctx->saved_data["M"] = M;
    return accumulate(p, M, wt, torch::Tensor(), false);
  }

  // grad: (M, N) -> ds: (M, K), dwt: (K, N)
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const auto& wt = saved[1];
    const auto g = grad[0].contiguous();
    auto ds = g.mm(wt.t());
    if (!ctx->saved_data["sparse"].toBool()) return {ds, saved[0].t().mm(g), torch::Tensor()};
    auto dwt = torch::empty_like(wt);
    kernels::SpikeLinearGradParams gp;
    gp.M = ctx->saved_data["M"].toInt(), gp.K = wt.size(0), gp.N = wt.size(1);
    gp.bits = reinterpret_cast<const uint64_t*>(saved[0].data_ptr<int64_t>());
    gp.g = g.data_ptr<float>(), gp.dwt = dwt.data_ptr<float>();
    kernels::spike_linear_weight_grad_cpu(gp);
    return {ds, dwt, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor glu_halves(const torch::Tensor& z) {
  auto halves = z.chunk(2, -1);
  return halves[0] * torch::sigmoid(halves[1]);
}

torch::Tensor spike_linear(const torch::Tensor& s, const torch::Tensor& wt,
                           const torch::Tensor& bias, bool glu) {
  check_args("spike_linear", s, wt, bias, glu);
  auto su = unit_stride(s);
  return accumulate(pack(su), su.size(0), wt, bias, glu);
}

namespace ref {
torch::Tensor spike_linear(const torch::Tensor& s, const torch::Tensor& wt,
                           const torch::Tensor& bias, bool glu) {
  check_args("ref::spike_linear", s, wt, bias, glu);
  auto sc = s.contiguous(), w = wt.contiguous();
  auto b = bias.defined() ? bias.contiguous() : bias;
  auto out = torch::empty({s.size(0), glu ? w.size(1) / 2 : w.size(1)}, w.options());
  kernels::ref::SpikeLinearRefParams p;
  p.M = s.size(0);
  p.K = s.size(1);
  p.N = w.size(1);
  p.s = sc.data_ptr<float>();
  p.wt = w.data_ptr<float>();
  p.bias = b.defined() ? b.data_ptr<float>() : nullptr;
  p.out = out.data_ptr<float>();
  p.glu = glu;
  kernels::ref::spike_linear_ref(p);
  return out;
}
}  // namespace ref

torch::Tensor spike_mm(const torch::Tensor& s, const torch::Tensor& wt, double sparse_below) {
  check_args("spike_mm", s, wt, torch::Tensor(), false);
  return SpikeMmFunction::apply(s.contiguous(), wt.contiguous(), sparse_below);
}

namespace ref {
torch::Tensor spike_mm(const torch::Tensor& s, const torch::Tensor& wt) { return torch::mm(s, wt); }
}  // namespace ref

double spike_linear_crossover(int64_t K, int64_t N, bool glu) {
  static std::mutex mu;
  static std::map<std::tuple<int64_t, int64_t, int, bool>, double> cache;
  const auto key = std::make_tuple(K, N, at::get_num_threads(), glu);
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  const double r = measure_crossover(K, N, glu);
  cache.emplace(key, r);
  return r;
}

torch::Tensor spike_mix_linear(const torch::Tensor& s, const torch::Tensor& wt,
                               const torch::Tensor& bias, MixKernel kind, MixChoice* choice,
                               bool glu) {
  MixChoice local;
  MixChoice& c = choice ? *choice : local;
  c = MixChoice{};
  if (kind == MixKernel::Dense) return dense(s, wt, bias, glu);
  check_args("spike_mix_linear", s, wt, bias, glu);
  auto su = unit_stride(s);
  const int64_t M = su.size(0), K = su.size(1);
  Packed p = pack(su);
  c.rate = M * K > 0 ? double(p.active) / double(M * K) : 0.0;
  if (kind == MixKernel::Auto) {
    const double x = spike_linear_crossover(K, wt.size(1), glu);
    if (x < 1.0 && c.rate >= x) return dense(s, wt, bias, glu);  // x = 1: sparse won at every rate
  }
  c.sparse = true;
  return accumulate(p, M, wt, bias, glu);
}

}  // namespace spikessm

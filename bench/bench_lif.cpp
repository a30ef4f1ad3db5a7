// Forward + backward of the multi-step LIF: fused kernel vs the autograd reference twin.
// x: (B, L, D) = (64, 1024, 128) float32, i.e. B * D = 8192 neurons over 1024 steps; the
// *BeyondCache pair runs 8x the batch: five 256 MiB streams, more than a last-level cache holds.
//   ./build/bench/bench_lif [--threads=N] [--fresh-memory] [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <algorithm>
#include <immintrin.h>
#include <torch/torch.h>

#include "bench_main.h"
#include "../src/kernels/cpu/lif_cpu.h"
#include "spikessm/neurons/lif.h"

namespace {

using spikessm::LifOptions;

constexpr int64_t kB = 64, kL = 1024, kD = 128, kBigB = 8 * kB;

// Inputs are built once and kept alive: fresh pages cost ~0.3 GB/s here (DESIGN.md).
struct Problem {
  int64_t B;
  torch::Tensor x, g;  // (B, kL, kD)
  explicit Problem(int64_t batch) : B(batch) {
    torch::manual_seed(0);
    x = (torch::randn({B, kL, kD}) + 0.6).requires_grad_(true);
    g = torch::randn({B, kL, kD});
  }
};

Problem& problem() {
  static Problem p(kB);
  return p;
}
Problem& big_problem() {
  static Problem p(kBigB);
  return p;
}

template <typename Fn>
void fwd_bwd(benchmark::State& state, Fn fn, const LifOptions& opt) {
  auto& p = problem();
  for (auto _ : state) {
    auto s = fn(p.x, opt);
    auto dx = torch::autograd::grad({s}, {p.x}, {p.g});
    benchmark::DoNotOptimize(dx[0].data_ptr());
  }
  // Bytes the fused path must move: x, s forward; x, g, dx backward (u' is recomputed).
  state.SetBytesProcessed(state.iterations() * 5 * kB * kL * kD * int64_t(sizeof(float)));
  state.counters["threads"] = at::get_num_threads();
}

LifOptions bptt_hard_triangle() { return LifOptions{}; }
LifOptions sltt_hard_triangle() {
  LifOptions o;
  o.grad = spikessm::GradMode::SLTT;
  return o;
}

void BM_LifFused_BPTT(benchmark::State& st) {
  fwd_bwd(st, &spikessm::lif_multistep, bptt_hard_triangle());
}
void BM_LifRef_BPTT(benchmark::State& st) {
  fwd_bwd(st, &spikessm::ref::lif_multistep, bptt_hard_triangle());
}
void BM_LifFused_SLTT(benchmark::State& st) {
  fwd_bwd(st, &spikessm::lif_multistep, sltt_hard_triangle());
}
void BM_LifFused_ForwardOnly(benchmark::State& st) {
  auto& p = problem();
  torch::NoGradGuard no_grad;
  for (auto _ : st) benchmark::DoNotOptimize(spikessm::lif_multistep(p.x, LifOptions{}).data_ptr());
  st.SetBytesProcessed(st.iterations() * 2 * kB * kL * kD * int64_t(sizeof(float)));
}

// The two kernels alone on preallocated buffers: the op's allocation and autograd overhead
// is the difference to BM_LifFused_BPTT. Arg: 0 forward + backward, 1 forward only (x in, s
// out), 2 backward only (g and x in, dx out), to hold each half against its own floor.
// (BM_LifKernelsInCache gives the same kernels' arithmetic time.)
void lif_kernels(benchmark::State& st, Problem& p, int64_t part) {
  const auto x = p.x.detach();
  namespace k = spikessm::kernels;
  auto s = torch::empty_like(x), dx = torch::empty_like(x);
  auto ckpt = torch::empty({p.B, k::lif_checkpoints(kL), kD});
  k::LifForwardParams<float> f;
  f.B = p.B, f.L = kL, f.D = kD;
  f.x = x.data_ptr<float>(), f.s = s.data_ptr<float>(), f.ckpt = ckpt.data_ptr<float>();
  k::LifBackwardParams<float> b;
  b.B = p.B, b.L = kL, b.D = kD;
  b.grad_s = p.g.data_ptr<float>(), b.x = x.data_ptr<float>(), b.ckpt = ckpt.data_ptr<float>();
  b.dx = dx.data_ptr<float>();
  if (part == 2) k::lif_forward_cpu(f);  // the checkpoints the backward starts from
  for (auto _ : st) {
    if (part != 2) k::lif_forward_cpu(f);
    if (part != 1) k::lif_backward_cpu(b);
    benchmark::ClobberMemory();
  }
  const int64_t streams = part == 0 ? 5 : part == 1 ? 2 : 3;
  st.SetBytesProcessed(st.iterations() * streams * x.numel() * int64_t(sizeof(float)));
}
void BM_LifKernels_BPTT(benchmark::State& st) { lif_kernels(st, problem(), st.range(0)); }
void BM_LifKernelsBeyondCache(benchmark::State& st) { lif_kernels(st, big_problem(), 0); }

// The kernels' arithmetic time: forward + backward over as many neuron-steps as the whole
// problem, but each thread running its share on one (1, kL / 2, kD) slice that stays in its
// L2 (the kernels' own parallel loop runs inline inside this one). Held against
// BM_LifKernels_BPTT/0 it says how much of the kernels' time is arithmetic, not traffic.
void BM_LifKernelsInCache(benchmark::State& st) {
  auto& p = problem();
  const auto x = p.x.detach();
  namespace k = spikessm::kernels;
  constexpr int64_t kSliceL = kL / 2, kPasses = kB * kL / kSliceL;
  // One slice per thread, each the start of its own batch row.
  const int64_t n_slices = std::min<int64_t>(at::get_num_threads(), kB);
  auto s = torch::empty_like(x), dx = torch::empty_like(x);
  auto ckpt = torch::empty({n_slices, k::lif_checkpoints(kSliceL), kD});
  auto params = [&](int64_t r) {
    const int64_t off = r * kL * kD;
    k::LifForwardParams<float> f;
    f.B = 1, f.L = kSliceL, f.D = kD;
    f.x = x.data_ptr<float>() + off, f.s = s.data_ptr<float>() + off;
    f.ckpt = ckpt.data_ptr<float>() + r * k::lif_checkpoints(kSliceL) * kD;
    k::LifBackwardParams<float> b;
    b.B = 1, b.L = kSliceL, b.D = kD;
    b.grad_s = p.g.data_ptr<float>() + off, b.x = f.x, b.ckpt = f.ckpt;
    b.dx = dx.data_ptr<float>() + off;
    return std::make_pair(f, b);
  };
  for (auto _ : st) {
    at::parallel_for(0, kPasses, 1, [&](int64_t i0, int64_t i1) {
      const auto [f, b] = params(i0 * n_slices / kPasses);
      for (int64_t i = i0; i < i1; ++i) {
        k::lif_forward_cpu(f);
        k::lif_backward_cpu(b);
      }
    });
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(st.iterations() * 5 * kB * kL * kD * int64_t(sizeof(float)));
}

// The memory-traffic floor of the fused forward + backward: the same five (B, L, D) float32
// streams (read x, write s; read x and g, write dx) with no arithmetic but a copy and an add,
// with non-temporal stores as the kernels use. Fused time / floor time says how close the
// kernel is to what this machine's memory allows. (The checkpoints add 2/32 of a stream.)
void traffic_floor(benchmark::State& st, Problem& p, int64_t part) {
  const auto x = p.x.detach();
  auto s = torch::empty_like(x), dx = torch::empty_like(x);
  const int64_t n = x.numel(), kChunk = 1 << 16;
  const float *xp = x.data_ptr<float>(), *gp = p.g.data_ptr<float>();
  float *sp = s.data_ptr<float>(), *dp = dx.data_ptr<float>();
  for (auto _ : st) {
    if (part != 2)
      at::parallel_for(0, n, kChunk, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i += 8) _mm256_stream_ps(sp + i, _mm256_loadu_ps(xp + i));
        _mm_sfence();
      });
    if (part != 1)
      at::parallel_for(0, n, kChunk, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; i += 8)
          _mm256_stream_ps(dp + i, _mm256_add_ps(_mm256_loadu_ps(xp + i), _mm256_loadu_ps(gp + i)));
        _mm_sfence();
      });
    benchmark::ClobberMemory();
  }
  const int64_t streams = part == 0 ? 5 : part == 1 ? 2 : 3;
  st.SetBytesProcessed(st.iterations() * streams * n * int64_t(sizeof(float)));
}
void BM_LifTrafficFloor(benchmark::State& st) { traffic_floor(st, problem(), st.range(0)); }
void BM_LifTrafficFloorBeyondCache(benchmark::State& st) { traffic_floor(st, big_problem(), 0); }

BENCHMARK(BM_LifFused_BPTT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifRef_BPTT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifFused_SLTT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifFused_ForwardOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifKernels_BPTT)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifKernelsInCache)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifTrafficFloor)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifKernelsBeyondCache)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifTrafficFloorBeyondCache)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return spikessm::bench::bench_main(argc, argv); }

// Forward + backward of the multi-step LIF: fused kernel vs the autograd reference twin.
// x: (B, L, D) = (64, 1024, 128) float32, i.e. B * D = 8192 neurons over 1024 steps.
//   ./build/bench/bench_lif [--threads=N] [--fresh-memory] [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <torch/torch.h>

#include "bench_main.h"
#include "../src/kernels/cpu/lif_cpu.h"
#include "spikessm/neurons/lif.h"

namespace {

using spikessm::LifOptions;

constexpr int64_t kB = 64, kL = 1024, kD = 128;

// Inputs are built once and kept alive: fresh pages cost ~0.3 GB/s here (DESIGN.md).
struct Problem {
  torch::Tensor x, g;
  Problem() {
    torch::manual_seed(0);
    x = (torch::randn({kB, kL, kD}) + 0.6).requires_grad_(true);
    g = torch::randn({kB, kL, kD});
  }
};

Problem& problem() {
  static Problem p;
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
void BM_LifKernels_BPTT(benchmark::State& st) {
  auto& p = problem();
  const auto x = p.x.detach();
  namespace k = spikessm::kernels;
  auto s = torch::empty_like(x), dx = torch::empty_like(x);
  auto ckpt = torch::empty({kB, k::lif_checkpoints(kL), kD});
  k::LifForwardParams<float> f;
  f.B = kB, f.L = kL, f.D = kD;
  f.x = x.data_ptr<float>(), f.s = s.data_ptr<float>(), f.ckpt = ckpt.data_ptr<float>();
  k::LifBackwardParams<float> b;
  b.B = kB, b.L = kL, b.D = kD;
  b.grad_s = p.g.data_ptr<float>(), b.x = x.data_ptr<float>(), b.ckpt = ckpt.data_ptr<float>();
  b.dx = dx.data_ptr<float>();
  const int64_t part = st.range(0);
  if (part == 2) k::lif_forward_cpu(f);  // the checkpoints the backward starts from
  for (auto _ : st) {
    if (part != 2) k::lif_forward_cpu(f);
    if (part != 1) k::lif_backward_cpu(b);
    benchmark::ClobberMemory();
  }
  const int64_t streams = part == 0 ? 5 : part == 1 ? 2 : 3;
  st.SetBytesProcessed(st.iterations() * streams * kB * kL * kD * int64_t(sizeof(float)));
}

// The memory-traffic floor of the fused forward + backward: the same five (B, L, D) float32
// streams (read x, write s; read x and g, write dx) with no arithmetic but a copy and an add,
// with non-temporal stores as the kernels use. Fused time / floor time says how close the
// kernel is to what this machine's memory allows. (The checkpoints add 2/32 of a stream.)
void BM_LifTrafficFloor(benchmark::State& st) {
  auto& p = problem();
  const auto x = p.x.detach();
  auto s = torch::empty_like(x), dx = torch::empty_like(x);
  const int64_t n = x.numel(), kChunk = 1 << 16, part = st.range(0);
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

BENCHMARK(BM_LifFused_BPTT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifRef_BPTT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifFused_SLTT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifFused_ForwardOnly)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifKernels_BPTT)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LifTrafficFloor)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return spikessm::bench::bench_main(argc, argv); }

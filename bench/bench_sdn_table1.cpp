// The CPU version of SpikingSSM's Table 1 (papers.md 1.4): forward + backward of one neuron
// layer, batch 64, 1 or 128 channels, L = 1K .. 8K, for the reference BPTT loop (ATen ops +
// autograd), the fused BPTT and SLTT kernels, and the SDN neuron (frozen fused SDN + spike).
//   ./build/bench/bench_sdn_table1 [--threads=N] [--benchmark_filter=...]
// Args: {L, D}. x: (64, L, D) float32.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <map>

#include "bench_main.h"
#include "spikessm/neurons/lif.h"
#include "spikessm/neurons/sdn.h"

namespace {

using spikessm::LifOptions;

struct Problem {
  torch::Tensor x, g;
};

// Inputs built once per shape and kept alive (fresh pages are expensive here).
Problem& problem(int64_t L, int64_t D) {
  static std::map<std::pair<int64_t, int64_t>, Problem> cache;
  auto& p = cache[{L, D}];
  if (!p.x.defined()) {
    torch::manual_seed(0);
    p.x = torch::randn({64, L, D}).requires_grad_(true);  // N(0, 1) currents, as the SDN's data
    p.g = torch::randn({64, L, D});
  }
  return p;
}

template <typename Fn>
void fwd_bwd(benchmark::State& st, Fn fn) {
  auto& p = problem(st.range(0), st.range(1));
  for (auto _ : st) {
    auto s = fn(p.x);
    auto dx = torch::autograd::grad({s}, {p.x}, {p.g});
    benchmark::DoNotOptimize(dx[0].data_ptr());
  }
  st.counters["elements"] = double(p.x.numel());
}

void BM_RefBPTT(benchmark::State& st) {
  fwd_bwd(st, [](const torch::Tensor& x) { return spikessm::ref::lif_multistep(x, LifOptions{}); });
}
void BM_FusedBPTT(benchmark::State& st) {
  fwd_bwd(st, [](const torch::Tensor& x) { return spikessm::lif_multistep(x, LifOptions{}); });
}
void BM_FusedSLTT(benchmark::State& st) {
  LifOptions o;
  o.grad = spikessm::GradMode::SLTT;
  fwd_bwd(st, [o](const torch::Tensor& x) { return spikessm::lif_multistep(x, o); });
}
void BM_SDN(benchmark::State& st) {
  const auto& w = spikessm::builtin_sdn_weights();
  fwd_bwd(st, [&w](const torch::Tensor& x) {
    return spikessm::sdn_spike(w, x, spikessm::Surrogate::Triangle, 4.f);
  });
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int64_t D : {1, 128})
    for (int64_t L : {1024, 2048, 4096, 8192}) b->Args({L, D});
  // One warm-up pass first: the first touch of a 256 MiB activation costs more than the op.
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.3)->MinWarmUpTime(0.1);
}

BENCHMARK(BM_RefBPTT)->Apply(shapes);
BENCHMARK(BM_FusedBPTT)->Apply(shapes);
BENCHMARK(BM_FusedSLTT)->Apply(shapes);
BENCHMARK(BM_SDN)->Apply(shapes);

}  // namespace

int main(int argc, char** argv) { return spikessm::bench::bench_main(argc, argv); }

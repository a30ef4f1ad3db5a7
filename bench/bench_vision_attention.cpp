// Inference cost of Spikformer's attention variants as the number of tokens grows
// (papers.md 4.3: LRF-Dyn keeps O(k d) attention state instead of SSA's O(d^2) K^T V):
//   BM_Attention/<kind>/<N>   one attention layer, T = 4, B = 1, d = 128, 8 heads, eval mode
//   BM_Model/<kind>/<side>    the whole CPU-sized Spikformer (d 64) on a 1 x side x side image
// kind: 0 ssa, 1 lrf_ssa, 2 lrf_dyn (recurrent inference streamed one grid row at a time),
// 3 lrf_dyn on whole tensors (stream_rows off: the same output). Time is per image (B = 1).
// Memory: every tensor allocation goes through a counting CPU allocator; the counter
// peak_MiB is the highest live tensor memory during one forward, above what was live
// before it (the input and the weights excluded).
#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "bench_main.h"
#include "spikessm/models/spikformer.h"

using namespace spikessm;

namespace {

std::atomic<int64_t> g_live{0}, g_peak{0};

std::mutex g_mu;
std::unordered_map<void*, size_t> g_sizes;

// Wraps the default CPU allocator and tracks live and peak bytes. Context == data, as
// raw_allocate users (mkldnn) require; the size of each block is kept in a map.
struct CountingAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) const override {
    void* p = c10::GetDefaultCPUAllocator()->raw_allocate(n);
    {
      std::lock_guard<std::mutex> lock(g_mu);
      g_sizes[p] = n;
    }
    const int64_t now = g_live.fetch_add(int64_t(n)) + int64_t(n);
    int64_t pk = g_peak.load();
    while (now > pk && !g_peak.compare_exchange_weak(pk, now)) {
    }
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  static void release(void* p) {
    if (!p) return;
    size_t n = 0;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      auto it = g_sizes.find(p);
      if (it != g_sizes.end()) {
        n = it->second;
        g_sizes.erase(it);
      }
    }
    g_live.fetch_sub(int64_t(n));
    c10::GetDefaultCPUAllocator()->raw_deleter()(p);
  }
};

CountingAllocator g_alloc;

// Peak live bytes above the starting level while f() runs.
template <typename F>
double peak_mib(F&& f) {
  const int64_t base = g_live.load();
  g_peak.store(base);
  f();
  return double(g_peak.load() - base) / (1024.0 * 1024.0);
}

AttentionKind kind_of(int64_t i) {
  return i == 0 ? AttentionKind::Ssa : i == 1 ? AttentionKind::LrfSsa : AttentionKind::LrfDyn;
}
bool streams(int64_t i) { return i != 3; }

void BM_Attention(benchmark::State& state) {
  const auto kind = kind_of(state.range(0));
  const int64_t N = state.range(1), side = int64_t(std::lround(std::sqrt(double(N)))), D = 128,
                T = 4;
  torch::manual_seed(0);
  SpikingAttention m(SpikingAttentionOptions(D, side, N / side).heads(8).kind(kind));
  m->eval();
  m->stream_rows = streams(state.range(0));
  torch::NoGradGuard g;
  auto x = (torch::rand({T, 1, N, D}) < 0.2).to(torch::kFloat);
  state.counters["peak_MiB"] = peak_mib([&] { m(x); });
  for (auto _ : state) benchmark::DoNotOptimize(m(x));
  state.counters["tokens"] = double(N);
}

void BM_Model(benchmark::State& state) {
  const auto kind = kind_of(state.range(0));
  const int64_t side = state.range(1);
  torch::manual_seed(0);
  SpikformerOptions o(1, side, side, 10);
  o.d_model(64).heads(4).n_layers(1).time_steps(4).attention(kind);
  Spikformer m(o);
  m->eval();
  for (auto& b : *m->blocks)
    b->as<SpikformerBlockImpl>()->attn->stream_rows = streams(state.range(0));
  torch::NoGradGuard g;
  auto x = torch::randn({1, 1, side, side});
  state.counters["peak_MiB"] = peak_mib([&] { m(x); });
  for (auto _ : state) benchmark::DoNotOptimize(m(x));
  state.counters["tokens"] = double(m->tokens());
}

}  // namespace

BENCHMARK(BM_Attention)
    ->ArgsProduct({{0, 1, 2, 3}, {64, 256, 1024, 4096}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Model)->ArgsProduct({{0, 1, 2, 3}, {32, 64, 128}})->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  c10::SetCPUAllocator(&g_alloc, /*priority=*/100);
  return spikessm::bench::bench_main(argc, argv);
}

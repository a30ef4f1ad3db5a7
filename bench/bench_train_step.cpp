// One optimizer step (forward, backward, AdamW) of SpikingSSM classifiers at L = 784, and the
// S4D convolution's fused path vs its reference twin. Peak RSS is reported per process, so
// run one model per invocation (--benchmark_filter) when memory matters.
#include <benchmark/benchmark.h>

#include "bench_main.h"
#include "spikessm/common/config.h"
#include "spikessm/models/build.h"
#include "spikessm/ssm/s4d_ops.h"
#include "spikessm/train/optimizer.h"

using namespace spikessm;

namespace {

// {layers, d_model, batch, d_state, bidirectional, fft}: {4, 64, 32, 64, 0, *} is the model of
// the official-code comparison; {2, 64, 32, 16, 1, 0} configs/quickstart.toml;
// {2, 400, 50, 64, 0, 0} the paper's sMNIST setting. fft = 1: S4D by FFT convolution, else scan.
void BM_TrainStep(benchmark::State& state) {
  const int64_t layers = state.range(0), d = state.range(1), batch = state.range(2), L = 784;
  Config cfg;
  cfg.set("model.n_layers=" + std::to_string(layers));
  cfg.set("model.d_model=" + std::to_string(d));
  cfg.set("model.d_state=" + std::to_string(state.range(3)));
  cfg.set(std::string("model.bidirectional=") + (state.range(4) ? "true" : "false"));
  cfg.set(std::string("model.s4d_backend=") + (state.range(5) ? "fft" : "scan"));
  torch::manual_seed(0);
  auto model = build_classifier(cfg, 1, 10);
  std::vector<double> lrs;
  auto opt = make_optimizer(*model, train_options(cfg).optimizer, lrs);
  auto x = torch::randn({batch, L, 1});
  auto y = torch::randint(0, 10, {batch});
  for (auto _ : state) {
    opt->zero_grad();
    auto loss = torch::cross_entropy_loss(model(x), y);
    loss.backward();
    opt->step();
  }
  state.counters["samples/s"] =
      benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_rss_MiB"] = bench::peak_rss_mib();
}
BENCHMARK(BM_TrainStep)
    ->Args({4, 64, 32, 64, 0, 0})
    ->Args({4, 64, 32, 64, 0, 1})
    ->Args({2, 64, 32, 16, 1, 0})
    ->Args({2, 64, 32, 16, 1, 1})
    ->Args({2, 400, 50, 64, 0, 0})
    ->Args({2, 400, 50, 64, 0, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

// The S4D convolution of one layer (B 32, L 784, H 64), forward + backward.
template <bool Fused>
void BM_FftConv(benchmark::State& state) {
  const int64_t B = 32, L = 784, H = 64, n = fft_size_for(2 * L);
  auto u = torch::randn({B, L, H}).requires_grad_(true);
  auto kc = torch::randn({H, n}).requires_grad_(true);
  auto d = torch::randn({H}).requires_grad_(true);
  for (auto _ : state) {
    auto out = Fused ? fft_conv(u, kc, d) : ref::fft_conv(u, kc, d);
    out.sum().backward();
  }
}
BENCHMARK_TEMPLATE(BM_FftConv, true)
    ->Name("BM_FftConv/fused")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_FftConv, false)
    ->Name("BM_FftConv/reference")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same layer through the fused scan (the default path), forward + backward.
void BM_DiagSsmScan(benchmark::State& state) {
  const int64_t B = 32, L = 784, H = 64, M = state.range(0);
  auto u = torch::randn({B, L, H}).requires_grad_(true);
  auto w = torch::randn({1, H, M, 2}).requires_grad_(true);
  auto z = (torch::rand({H, M, 2}) * 0.7).requires_grad_(true);
  auto d = torch::randn({H}).requires_grad_(true);
  for (auto _ : state) diag_ssm(u, w, z, d).sum().backward();
}
BENCHMARK(BM_DiagSsmScan)->Arg(32)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return spikessm::bench::bench_main(argc, argv); }

// Event-driven mixing layer vs dense sgemm: time vs sparsity for the mixing shapes of our
// models, and the end-to-end inference time per sample of a trained checkpoint, sparse vs
// dense. The checkpoint benchmark runs only with --checkpoint=FILE (Fashion-MNIST test set).
// Flags of bench_main.h, plus --checkpoint=FILE and --samples=N.
#include <benchmark/benchmark.h>

#include <cstring>

#include "bench_main.h"
#include "spikessm/data/task.h"
#include "spikessm/neurons/sparse_mix.h"
#include "spikessm/common/config.h"
#include "spikessm/models/build.h"
#include "spikessm/train/checkpoint.h"

using namespace spikessm;

namespace {

std::string g_checkpoint;
int64_t g_samples = 400;

// {sparsity %, rows M, K = H, N = 2H}: rows = batch x L (784).
void set_up(benchmark::State& state, torch::Tensor& s, torch::Tensor& wt, torch::Tensor& b) {
  torch::manual_seed(0);
  const double rate = 1.0 - double(state.range(0)) / 100.0;
  s = (torch::rand({state.range(1), state.range(2)}) < rate).to(torch::kFloat);
  wt = torch::randn({state.range(2), state.range(3)});
  b = torch::randn({state.range(3)});
  state.counters["rate"] = s.mean().item<double>();
}

void BM_MixDense(benchmark::State& state) {
  torch::Tensor s, wt, b;
  set_up(state, s, wt, b);
  for (auto _ : state) benchmark::DoNotOptimize(torch::addmm(b, s, wt));
}

void BM_MixSparse(benchmark::State& state) {
  torch::Tensor s, wt, b;
  set_up(state, s, wt, b);
  for (auto _ : state) benchmark::DoNotOptimize(spike_linear(s, wt, b));  // pack + accumulate
}

// The mixing layer as the model runs it: linear H -> 2H, then the GLU.
void BM_MixGluDense(benchmark::State& state) {
  torch::Tensor s, wt, b;
  set_up(state, s, wt, b);
  for (auto _ : state) benchmark::DoNotOptimize(glu_halves(torch::addmm(b, s, wt)));
}

void BM_MixGluSparse(benchmark::State& state) {
  torch::Tensor s, wt, b;
  set_up(state, s, wt, b);
  for (auto _ : state) benchmark::DoNotOptimize(spike_linear(s, wt, b, /*glu=*/true));
}

void shapes(benchmark::internal::Benchmark* bm) {
  for (int sp : {50, 70, 80, 85, 90, 95, 99}) {
    bm->Args({sp, 32 * 784, 64, 128});  // quickstart: batch 32, H 64
    bm->Args({sp, 8 * 784, 400, 800});  // paper sMNIST: batch 8, H 400
  }
  bm->ArgNames({"sparsity", "M", "K", "N"})->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK(BM_MixDense)->Apply(shapes);
BENCHMARK(BM_MixSparse)->Apply(shapes);
BENCHMARK(BM_MixGluDense)->Apply(shapes);
BENCHMARK(BM_MixGluSparse)->Apply(shapes);

// Whole-model inference (eval, no grad) on the first g_samples test images, batch 200.
void BM_ModelInference(benchmark::State& state, MixKernel kind) {
  if (g_checkpoint.empty()) {
    state.SkipWithError("pass --checkpoint=FILE");
    return;
  }
  Config cfg;
  cfg.merge_string(read_checkpoint_meta(g_checkpoint).config_toml, g_checkpoint);
  cfg.set("data.test_limit=" + std::to_string(g_samples));
  auto task = load_task(cfg);
  auto model = build_classifier(cfg, task.d_input, task.n_classes);
  load_checkpoint(g_checkpoint, *model, nullptr);
  model->eval();
  for (auto& blk : model->layers()) blk->options.mix_kernel(kind);
  torch::NoGradGuard ng;
  const int64_t n = task.test_x.size(0), batch = 200;
  auto run = [&] {
    for (int64_t i = 0; i < n; i += batch)
      benchmark::DoNotOptimize(model(task.test_x.narrow(0, i, std::min(batch, n - i))));
  };
  model->set_collect_stats(true);
  run();
  const double rate = model->stats().mean_rate();
  int64_t sparse_calls = 0;
  for (auto& blk : model->layers()) sparse_calls += blk->sparse_mix_calls;
  model->set_collect_stats(false);
  for (auto _ : state) run();
  state.counters["rate"] = rate;
  state.counters["sparse_layers_used"] = double(sparse_calls > 0);
  state.counters["s_per_sample"] = benchmark::Counter(
      double(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_ModelInference, dense, MixKernel::Dense)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_ModelInference, sparse, MixKernel::Sparse)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_ModelInference, autoselect, MixKernel::Auto)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  return spikessm::bench::bench_main(argc, argv, [](const char* arg) {
    if (std::strncmp(arg, "--checkpoint=", 13) == 0) {
      g_checkpoint = arg + 13;
    } else if (std::strncmp(arg, "--samples=", 10) == 0) {
      g_samples = std::max(1, std::atoi(arg + 10));
    } else {
      return false;
    }
    return true;
  });
}

// Forward + backward of the neuron family: each fused kernel next to its
// reference twin, float32, in one run.
//   selective PLIF: current, beta, gain, v_th (B, L, D), gradients through spikes and V_post
//   PLIF:           x (B, L, D), w, v_th (D)
//   Heaviside / ternary spike: x (B, L, D)
//   ./build/bench/bench_neurons [--threads=N] [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include "bench_main.h"
#include <torch/torch.h>

#include "spikessm/neurons/heaviside.h"
#include "spikessm/neurons/plif.h"
#include "spikessm/neurons/selective_plif.h"
#include "spikessm/neurons/ternary.h"

namespace {

using namespace spikessm;

// Inputs live as long as the process: fresh pages cost ~0.3 GB/s here (DESIGN.md).
struct SelectiveProblem {
  torch::Tensor cur, beta, gain, vth, gs, gv;
  SelectiveProblem(int64_t B, int64_t L, int64_t D) {
    torch::manual_seed(0);
    // NeuronSpark's activations: beta = sigmoid(.), gain = softplus(.), v_th = V_min + |.|.
    cur = (torch::randn({B, L, D}) * 0.8 + 0.3).requires_grad_(true);
    beta = torch::sigmoid(torch::randn({B, L, D}) * 1.5 + 1.0).requires_grad_(true);
    gain = torch::softplus(torch::randn({B, L, D}) * 0.5 + 0.54).requires_grad_(true);
    vth = (0.1 + (torch::randn({B, L, D}) * 0.4).abs()).requires_grad_(true);
    gs = torch::randn({B, L, D});
    gv = torch::randn({B, L, D});
  }
};

SelectiveProblem& selective_problem(int64_t B, int64_t L, int64_t D) {
  // One instance per shape the benchmarks use.
  static SelectiveProblem small(8, 1024, 256), spark(1, 1024, 7168);
  return D == 256 ? small : spark;
}

template <typename Fn>
void selective_fwd_bwd(benchmark::State& st, Fn fn) {
  const int64_t B = st.range(0), L = st.range(1), D = st.range(2);
  auto& p = selective_problem(B, L, D);
  for (auto _ : st) {
    auto out = fn(p.cur, p.beta, p.gain, p.vth, SelectivePlifOptions{}, torch::Tensor());
    auto g = torch::autograd::grad({out.s, out.v}, {p.cur, p.beta, p.gain, p.vth}, {p.gs, p.gv});
    benchmark::DoNotOptimize(g[0].data_ptr());
  }
  st.counters["threads"] = at::get_num_threads();
  st.counters["neuron_steps/s"] =
      benchmark::Counter(double(B * L * D) * st.iterations(), benchmark::Counter::kIsRate);
}

void BM_SelectivePlifFused(benchmark::State& st) { selective_fwd_bwd(st, &selective_plif); }
void BM_SelectivePlifRef(benchmark::State& st) { selective_fwd_bwd(st, &ref::selective_plif); }

constexpr int64_t kB = 64, kL = 1024, kD = 128;  // the shape of bench_lif

struct PlifProblem {
  torch::Tensor x, w, vth, gs, gv;
  PlifProblem() {
    torch::manual_seed(0);
    x = (torch::randn({kB, kL, kD}) * 1.2 + 0.6).requires_grad_(true);
    w = (torch::randn({kD}) * 0.5).requires_grad_(true);
    vth = (torch::rand({kD}) * 0.5 + 0.25).requires_grad_(true);
    gs = torch::randn({kB, kL, kD});
    gv = torch::randn({kB, kL, kD});
  }
};

PlifProblem& plif_problem() {
  static PlifProblem p;
  return p;
}

template <typename Fn>
void plif_fwd_bwd(benchmark::State& st, Fn fn) {
  auto& p = plif_problem();
  PlifOptions o;
  o.reset = st.range(0) ? ResetMode::Hard : ResetMode::Soft;
  for (auto _ : st) {
    auto out = fn(p.x, p.w, p.vth, o, torch::Tensor());
    auto g = torch::autograd::grad({out.s, out.v}, {p.x, p.w, p.vth}, {p.gs, p.gv});
    benchmark::DoNotOptimize(g[0].data_ptr());
  }
  st.counters["threads"] = at::get_num_threads();
}

void BM_PlifFused(benchmark::State& st) { plif_fwd_bwd(st, &plif_multistep); }
void BM_PlifRef(benchmark::State& st) { plif_fwd_bwd(st, &ref::plif_multistep); }

// Stateless spikes on the PLIF problem's x.
template <typename Fn>
void heaviside_fwd_bwd(benchmark::State& st, Fn fn) {
  auto& p = plif_problem();
  HeavisideOptions o;
  for (auto _ : st) {
    auto s = fn(p.x, o);
    auto g = torch::autograd::grad({s}, {p.x}, {p.gs});
    benchmark::DoNotOptimize(g[0].data_ptr());
  }
}
void BM_HeavisideFused(benchmark::State& st) { heaviside_fwd_bwd(st, &heaviside_spike); }
void BM_HeavisideRef(benchmark::State& st) { heaviside_fwd_bwd(st, &ref::heaviside_spike); }

template <typename Fn>
void ternary_fwd_bwd(benchmark::State& st, Fn fn) {
  auto& p = plif_problem();
  static auto scale = torch::ones({}).requires_grad_(true);
  TernaryOptions o;
  o.scope = st.range(0) ? TernaryScope::Tensor : TernaryScope::Row;
  for (auto _ : st) {
    auto q = fn(p.x, scale, o);
    auto g = torch::autograd::grad({q}, {p.x, scale}, {p.gs});
    benchmark::DoNotOptimize(g[0].data_ptr());
  }
}
void BM_TernaryFused(benchmark::State& st) { ternary_fwd_bwd(st, &ternary_spike); }
void BM_TernaryRef(benchmark::State& st) { ternary_fwd_bwd(st, &ref::ternary_spike); }

#define NEURON_BENCH(fn) BENCHMARK(fn)->Unit(benchmark::kMillisecond)->UseRealTime()
NEURON_BENCH(BM_SelectivePlifFused)->Args({8, 1024, 256})->Args({1, 1024, 7168});
NEURON_BENCH(BM_SelectivePlifRef)->Args({8, 1024, 256})->Args({1, 1024, 7168});
NEURON_BENCH(BM_PlifFused)->ArgName("hard")->Arg(0)->Arg(1);
NEURON_BENCH(BM_PlifRef)->ArgName("hard")->Arg(0)->Arg(1);
NEURON_BENCH(BM_HeavisideFused);
NEURON_BENCH(BM_HeavisideRef);
NEURON_BENCH(BM_TernaryFused)->ArgName("tensor")->Arg(0)->Arg(1);
NEURON_BENCH(BM_TernaryRef)->ArgName("tensor")->Arg(0)->Arg(1);

}  // namespace

int main(int argc, char** argv) { return spikessm::bench::bench_main(argc, argv); }

// NeuronSpark LM (papers.md 3): one training step's forward + backward (tokens/s) and
// recurrent generation, step() tokens/s with constant memory, for the spiking model and its
// non-spiking twin, side by side. Sizes are the WikiText-2 candidates of docs/results.md.
//   build-cc/bench/bench_neuronspark --benchmark_filter=...

#include "bench_main.h"
#include "spikessm/models/neuronspark_lm.h"

using namespace spikessm;

namespace {

// Args: {spiking, d_model, n_state, frames, n_layers, d_ff}; vocabulary 33278 (WikiText-2
// word level, its test perplexity is the headline number).
std::shared_ptr<NeuronSparkLmImpl> make(const benchmark::State& st) {
  NeuronSparkLmOptions o(33278);
  o.spiking(st.range(0) != 0)
      .d_model(st.range(1))
      .n_state(st.range(2))
      .frames(st.range(3))
      .n_layers(st.range(4))
      .d_ff(st.range(5));
  torch::manual_seed(0);
  return std::make_shared<NeuronSparkLmImpl>(o);
}

void set_params_counter(benchmark::State& st, NeuronSparkLmImpl& m) {
  double n = 0;
  for (const auto& p : m.parameters()) n += double(p.numel());
  st.counters["params_M"] = n / 1e6;
}

// Batch 8 x context 128: cross-entropy + ponder cost, backward, gradient compensation.
void BM_NeuronSparkTrainStep(benchmark::State& st) {
  auto m = make(st);
  const int64_t B = 8, L = 128;
  const auto ids = torch::randint(0, 33278, {B, L + 1}, torch::kLong);
  const auto x = ids.slice(1, 0, L), y = ids.slice(1, 1);
  for (auto _ : st) {
    m->zero_grad();
    auto loss = torch::cross_entropy_loss(m->forward(x).reshape({-1, 33278}), y.reshape({-1}));
    loss = loss + m->aux_loss();  // after the forward it belongs to
    loss.backward();
    m->adjust_gradients();
  }
  st.counters["tokens/s"] =
      benchmark::Counter(double(B * L), benchmark::Counter::kIsIterationInvariantRate);
  set_params_counter(st, *m);
  st.counters["peak_rss_MiB"] = bench::peak_rss_mib();
}

// One sequence: a 64-token prompt in parallel, then step() one token at a time.
void BM_NeuronSparkStep(benchmark::State& st) {
  auto m = make(st);
  torch::NoGradGuard no_grad;
  LmState state;
  m->forward_with_state(torch::randint(0, 33278, {1, 64}, torch::kLong), &state);
  auto tok = torch::randint(0, 33278, {1}, torch::kLong);
  for (auto _ : st) {
    auto logits = m->step(tok, &state);
    tok = logits.argmax(-1);
  }
  st.counters["tokens/s"] = benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
  double state_floats = 0;
  for (const auto& t : state.tensors) state_floats += double(t.numel());
  st.counters["state_KiB"] = state_floats * 4 / 1024;
}

#define NS_SIZES(spk) Args({spk, 64, 4, 4, 2, 192})->Args({spk, 128, 4, 4, 4, 384})
BENCHMARK(BM_NeuronSparkTrainStep)
    ->NS_SIZES(1)
    ->NS_SIZES(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK(BM_NeuronSparkStep)
    ->NS_SIZES(1)
    ->NS_SIZES(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) { return spikessm::bench::bench_main(argc, argv); }

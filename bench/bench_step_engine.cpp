// One-token generation and one-sample streaming classification, old step path vs the step
// engine, against the weight-bandwidth roofline, all in ONE run (timings on a shared machine
// only compare within a run):
//   1. a STREAM triad a = b + s c over arrays well beyond the last-level cache: bandwidth
//   2. the default byte-level LM (configs/lm/shakespeare_ssm.toml, random weights) and the
//      byte-level NeuronSpark LM (configs/lm/shakespeare_spark.toml): each one's weight bytes
//      per token; tokens/s of model.step() and of the engine, each with greedy picking, and
//      of generate_tokens() (which takes the engine); the roofline
//      bandwidth / (weight bytes per token) and each rate's ratio to it
//   3. the streaming FSDD classifier (configs/fsdd_stream.toml, random weights): latency of
//      one step (one log-mel frame, 80 samples = 10 ms at 8 kHz) of ClassifierStream with
//      chunks of 1, chunk path vs engine (the front end's own time is `spikessm stream`'s)
// at 1 and 2 threads. A plain executable (one table, one JSON record per row):
//   bench_step_engine [--threads=1,2] [--seconds=2] [--triad-mib=256]
#include <ATen/CPUGeneratorImpl.h>
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "spikessm/common/blas_core.h"
#include "spikessm/common/config.h"
#include "spikessm/common/version.h"
#include "spikessm/infer/generate.h"
#include "spikessm/models/build.h"
#include "spikessm/models/classifier_stream.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/models/lm_step_engine.h"

using namespace spikessm;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string cpu_model() {
  FILE* f = std::fopen("/proc/cpuinfo", "r");
  char line[512];
  std::string out = "?";
  while (f && std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "model name", 10) == 0) {
      out = std::strchr(line, ':') + 2;
      out.pop_back();
      break;
    }
  if (f) std::fclose(f);
  return out;
}

const char* isa() {
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  return "sse";
}

// STREAM triad, best of 5 passes; bytes counted as STREAM does: 3 x 8 per element.
double triad_gbs(int64_t mib) {
  const int64_t n = mib * (1 << 20) / 8;
  std::vector<double> a(size_t(n), 0.0), b(size_t(n), 1.0), c(size_t(n), 2.0);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    at::parallel_for(0, n, 1 << 16, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) a[size_t(i)] = b[size_t(i)] + 3.0 * c[size_t(i)];
    });
    best = std::max(best, 24.0 * double(n) / since(t0) / 1e9);
  }
  if (a[size_t(n / 2)] != 7.0) std::fprintf(stderr, "triad: wrong result\n");
  return best;
}

// Calls fn() for about `seconds`; returns calls per second.
template <typename F>
double rate(double seconds, F&& fn) {
  int64_t n = 0;
  const auto t0 = Clock::now();
  do {
    for (int k = 0; k < 16; ++k) fn();
    n += 16;
  } while (since(t0) < seconds);
  return double(n) / since(t0);
}

int64_t argmax(const float* p, int64_t n) { return std::max_element(p, p + n) - p; }

void record(const char* what, int threads, double value, const char* unit) {
  std::printf(
      "{\"bench\":\"step_engine\",\"commit\":\"%s\",\"cpu\":\"%s\",\"isa\":\"%s\","
      "\"threads\":%d,\"what\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n",
      git_commit(), cpu_model().c_str(), isa(), threads, what, value, unit);
}

// A language model of the benchmark, with random weights.
struct LmCase {
  std::string name;  // record prefix: "lm" (the default), "spark_lm"
  LanguageModel lm;
  int64_t weight_bytes = 0;
};

LmCase lm_case(const std::string& name, const std::string& config, uint64_t seed) {
  Config cfg;
  cfg.merge_file(std::string(SPIKESSM_SOURCE_DIR) + "/configs/lm/" + config);
  torch::manual_seed(seed);
  LmCase c{name, build_language_model(cfg, 256), 0};
  c.lm->eval();
  for (const auto& p : c.lm->parameters()) c.weight_bytes += p.numel() * int64_t(p.element_size());
  std::printf("%s (%s): %lld parameters, %.3f MB of weights per token\n", name.c_str(),
              config.c_str(), (long long)(c.weight_bytes / 4), double(c.weight_bytes) / 1e6);
  return c;
}

// model.step() and the engine, greedy, then generate_tokens() as `spikessm generate` runs it
// (temperature 1, batches of 256), against the roofline bw / weight bytes.
void lm_rates(LmCase& c, int th, double bw, double seconds) {
  auto& lm = c.lm;
  const double roof = bw * 1e9 / double(c.weight_bytes);
  const std::vector<int64_t> prompt{'R', 'O', 'M', 'E', 'O', ':', '\n'};
  LmState st;
  auto logits = lm->forward_with_state(torch::tensor(prompt).view({1, -1}), &st);
  auto id = torch::empty({1}, torch::kLong);
  int64_t tok = logits[0][-1].argmax().item<int64_t>();
  const double old_tps = rate(seconds, [&] {
    id[0] = tok;
    tok = lm->step(id, &st).argmax(1).item<int64_t>();
  });
  auto engine = LmStepEngine::build(*lm);
  engine->load_state(st);
  const double new_tps = rate(seconds, [&] {
    const auto l = engine->step(tok);
    tok = argmax(l.data_ptr<float>(), l.size(1));
  });
  GenState g;
  GenerateStats gs;
  read_prompt(*lm, prompt, false, g, gs);
  SamplingOptions so;
  const auto t0 = Clock::now();
  while (since(t0) < seconds)
    generate_tokens(
        *lm, 256, so, g, [](int64_t) {}, gs);
  const double gen_tps = double(gs.generated) / gs.generate_seconds;
  const char* n = c.name.c_str();
  std::printf(
      "  %-8s roofline %8.0f tokens/s\n"
      "  %-8s model.step (greedy)      %8.1f tokens/s  %5.1f %% of roofline\n"
      "  %-8s step engine (greedy)     %8.1f tokens/s  %5.1f %% of roofline  (%.1fx)\n"
      "  %-8s generate_tokens (T = 1)  %8.1f tokens/s  %5.1f %% of roofline\n",
      n, roof, n, old_tps, 100 * old_tps / roof, n, new_tps, 100 * new_tps / roof,
      new_tps / old_tps, n, gen_tps, 100 * gen_tps / roof);
  auto key = [&](const char* what) { return c.name + "_" + what; };
  record(key("weight_bytes_per_token").c_str(), th, double(c.weight_bytes), "B");
  record(key("roofline").c_str(), th, roof, "tokens/s");
  record(key("model_step").c_str(), th, old_tps, "tokens/s");
  record(key("step_engine").c_str(), th, new_tps, "tokens/s");
  record(key("generate_tokens").c_str(), th, gen_tps, "tokens/s");
  record(key("step_engine_roofline_ratio").c_str(), th, new_tps / roof, "");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{1, 2};
  double seconds = 2.0;
  int64_t triad_mib = 256;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      thread_counts.clear();
      for (const char* p = argv[i] + 10; *p;) {
        thread_counts.push_back(std::atoi(p));
        while (*p && *p != ',') ++p;
        if (*p == ',') ++p;
      }
    } else if (std::strncmp(argv[i], "--seconds=", 10) == 0) {
      seconds = std::atof(argv[i] + 10);
    } else if (std::strncmp(argv[i], "--triad-mib=", 12) == 0) {
      triad_mib = std::atoll(argv[i] + 12);
    } else {
      std::fprintf(stderr, "usage: %s [--threads=1,2] [--seconds=2] [--triad-mib=256]\n", argv[0]);
      return 2;
    }
  }
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  torch::NoGradGuard ng;

  Config cls_cfg;
  cls_cfg.merge_file(std::string(SPIKESSM_SOURCE_DIR) + "/configs/fsdd_stream.toml");
  torch::manual_seed(2);
  const int64_t bands = cls_cfg.get_int("data.mel_bands"), hop = cls_cfg.get_int("data.hop");
  SequenceClassifier cls = build_classifier(cls_cfg, bands, 10);
  cls->eval();
  const auto frames = torch::randn({1, 102, bands}) * 3.0 - 6.0;  // log-mel-like input

  std::printf("machine: %s (%s), %s\n", cpu_model().c_str(), isa(), git_commit());
  std::vector<LmCase> lms;
  lms.push_back(lm_case("lm", "shakespeare_ssm.toml", 1));
  lms.push_back(lm_case("spark_lm", "shakespeare_spark.toml", 3));
  for (int th : thread_counts) {
    set_threads(th);
    const double bw = triad_gbs(triad_mib);
    std::printf("threads %d: triad %.2f GB/s\n", th, bw);
    record("triad_bandwidth", th, bw, "GB/s");
    for (auto& c : lms) lm_rates(c, th, bw, seconds);
    // The classifier, one sample per call.
    ClassifierStream stream(cls);
    auto cs = stream.initial_state(1);
    int64_t t = 0;
    auto one = [&] {
      stream.forward_with_state(frames.narrow(1, t, 1), cs);
      t = (t + 1) % frames.size(1);
    };
    stream.set_step_engine(false);
    const double cls_old = 1e6 / rate(seconds, one);
    stream.set_step_engine(true);
    stream.reset(cs);
    const double cls_new = 1e6 / rate(seconds, one);

    std::printf(
        "  FSDD stream chunk 1: chunk path %.1f us/step, engine %.1f us/step (%.1fx); a step is "
        "%lld samples, %.0f us of audio\n",
        cls_old, cls_new, cls_old / cls_new, (long long)hop, 1e6 * double(hop) / 8000.0);
    record("fsdd_stream_chunk_path", th, cls_old, "us/step");
    record("fsdd_stream_step_engine", th, cls_new, "us/step");
  }
  return 0;
}

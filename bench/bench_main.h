#pragma once
// The common main() of our Google Benchmark executables:
//   --threads=N      intra-op threads (default: every core; at::get_num_threads() may start at 1)
//   --fresh-memory   keep glibc's malloc defaults, to measure what re-faulting pages costs
//   anything `extra` accepts (a benchmark's own flags; it returns true when it took one)
// Each run records what it ran on in Google Benchmark's context (the console header and the
// JSON of --benchmark_out): spikessm's version and commit, the instruction set it was built
// for, the CPU, each kernel's path, LibTorch and the threads; bench/record.py compares runs.
// By default freed activations stay in the heap instead of being returned to the OS each
// iteration: re-faulting 32 MiB buffers would dominate both the fused and reference timings.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "spikessm/common/blas_core.h"
#include "spikessm/common/version.h"

namespace spikessm::bench {

// Peak resident memory of this process so far, MiB.
inline double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

// version_verbose()'s "key: value" lines as context entries "spikessm_<key>" (spaces -> _).
inline void add_build_context() {
  const std::string text = version_verbose();
  size_t begin = 0;
  for (size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    const std::string line = text.substr(begin, end - begin);
    const size_t colon = line.find(": ");
    if (begin == 0) {
      benchmark::AddCustomContext("spikessm_version", version());
      benchmark::AddCustomContext("spikessm_git_commit", git_commit());
    } else if (colon != std::string::npos) {
      std::string key = "spikessm_" + line.substr(0, colon);
      for (char& c : key) c = c == ' ' ? '_' : c;
      benchmark::AddCustomContext(key, line.substr(colon + 2));
    }
  }
}

inline int bench_main(int argc, char** argv,
                      const std::function<bool(const char*)>& extra = nullptr) {
  int threads = 0;  // every core
  bool fresh_memory = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::max(1, std::atoi(argv[i] + 10));
    } else if (std::strcmp(argv[i], "--fresh-memory") == 0) {
      fresh_memory = true;
    } else if (extra && extra(argv[i])) {
      continue;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (!fresh_memory) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
  set_threads(threads);
  benchmark::Initialize(&argc, argv);
  add_build_context();
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace spikessm::bench

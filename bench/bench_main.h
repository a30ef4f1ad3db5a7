#pragma once
// The common main() of our Google Benchmark executables:
//   --threads=N      intra-op threads (default: every core; at::get_num_threads() may start at 1)
//   --fresh-memory   keep glibc's malloc defaults, to measure what re-faulting pages costs
//   anything `extra` accepts (a benchmark's own flags; it returns true when it took one)
// By default freed activations stay in the heap instead of being returned to the OS each
// iteration: re-faulting 32 MiB buffers would dominate both the fused and reference timings.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

namespace spikessm::bench {

// Peak resident memory of this process so far, MiB.
inline double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

inline int bench_main(int argc, char** argv,
                      const std::function<bool(const char*)>& extra = nullptr) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
  at::set_num_threads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace spikessm::bench

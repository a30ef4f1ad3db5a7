// spikessm: train, evaluate and run spiking state space models on a CPU.
#include <malloc.h>

#include <cstdio>
#include <thread>

#include <torch/torch.h>

#include "commands.h"
#include "spikessm/common/error.h"

namespace spikessm::cli {
void set_threads(int64_t threads) {
  const int n = threads > 0 ? int(threads) : int(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}
}  // namespace spikessm::cli

int main(int argc, char** argv) {
  // Fresh pages cost ~0.3 GB/s on our machines: keep large activations in the heap across
  // steps instead of letting glibc mmap/munmap them every time (DESIGN.md, performance).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);

  CLI::App app{"spikessm: spiking state space models, trained and run on the CPU"};
  app.require_subcommand(1);
  spikessm::cli::add_train(app);
  spikessm::cli::add_eval(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and friends
    std::fprintf(stderr, "error: %s (see --help)\n", e.what());
    return 2;
  } catch (const spikessm::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

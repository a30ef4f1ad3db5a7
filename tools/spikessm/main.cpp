// spikessm: train, evaluate and run spiking state space models on a CPU.
#include <malloc.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <torch/torch.h>

#include "commands.h"
#include "spikessm/common/blas_core.h"
#include "spikessm/common/error.h"
#include "spikessm/common/version.h"

namespace spikessm::cli {
void set_threads(int64_t threads) { spikessm::set_threads(int(threads)); }

static std::string g_command_line;
const std::string& command_line() { return g_command_line; }
}  // namespace spikessm::cli

// OpenBLAS's pthread pool and ATen's OpenMP pool both spin-wait after their work; on a
// 2-core machine each steals the other's cores (training ran 1.5x slower, with a third of
// its time in the kernel). Both read their settings once, at load time, so we set them and
// re-execute ourselves before any work. A user's own settings are kept.
static void settle_thread_pools(char** argv) {
  if (std::getenv("SPIKESSM_POOLS_SET")) return;
  setenv("SPIKESSM_POOLS_SET", "1", 1);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

int main(int argc, char** argv) {
  settle_thread_pools(argv);
  // Fresh pages cost ~0.3 GB/s on our machines: keep large activations in the heap across
  // steps instead of letting glibc mmap/munmap them every time (DESIGN.md, performance).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);

  // --version --verbose (either order): the build and how it runs here, at the thread count
  // every command uses by default. CLI11 answers --version as soon as it sees it.
  const auto arg_is = [&](int i, const char* s) { return std::strcmp(argv[i], s) == 0; };
  if (argc == 3 && ((arg_is(1, "--version") && arg_is(2, "--verbose")) ||
                    (arg_is(1, "--verbose") && arg_is(2, "--version")))) {
    spikessm::cli::set_threads(0);
    std::fputs(spikessm::version_verbose().c_str(), stdout);
    return 0;
  }

  for (int i = 0; i < argc; ++i)
    spikessm::cli::g_command_line += (i ? " " : "") + std::string(i ? argv[i] : "spikessm");

  CLI::App app{"spikessm: spiking state space models, trained and run on the CPU"};
  app.set_version_flag("--version", spikessm::version_line(),
                       "Print the version and the git commit of this build, then exit");
  app.add_flag("--verbose",
               "With --version: also the instruction set (built for, this CPU's), the path of "
               "each hot kernel, LibTorch's version and CPU capability, and the threads");
  spikessm::cli::add_commands(app);
  // CLI11 reports an unknown command only as "a subcommand is required": name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      found = found || sub->get_name() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      std::fprintf(stderr, "error: unknown command '%s' (expected one of %s; see --help)\n",
                   argv[1], known.c_str());
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and friends
    std::fprintf(stderr, "error: %s (see --help)\n", e.what());
    return 2;
  } catch (const spikessm::cli::ExitCode& e) {
    return e.code;
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

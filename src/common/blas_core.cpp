#include "spikessm/common/blas_core.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "spikessm/common/version.h"

namespace spikessm {
namespace {

// OpenBLAS's own entry points, found in the process (null when the BLAS is something else).
// A Python extension's libraries are not in the global scope, so the loaded OpenBLAS is asked
// for by name first.
using CoreNameFn = char* (*)();
using HookFn = void (*)();
using SetThreadsFn = void (*)(int);
template <typename F>
F symbol(const char* name) {
  static void* const openblas = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
  void* f = openblas != nullptr ? dlsym(openblas, name) : nullptr;
  return reinterpret_cast<F>(f != nullptr ? f : dlsym(RTLD_DEFAULT, name));
}

// What select_blas_core found and chose; empty while nothing was changed.
char g_found[32] = "";
char g_chosen[32] = "";

// OpenBLAS's name for the kernels of this CPU's features, or null (no AVX: Prescott is right).
const char* core_for_this_cpu() {
  bool avx512 = true;
  for (const char* f : {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})
    avx512 = avx512 && cpu_has(f) == 1;
  if (avx512) return "SkylakeX";
  if (cpu_has("avx2") == 1 && cpu_has("fma") == 1) return "Haswell";
  if (cpu_has("avx") == 1) return "Sandybridge";
  return nullptr;
}

}  // namespace

void select_blas_core() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's choice stands
  const auto core_name = symbol<CoreNameFn>("openblas_get_corename");
  const auto quit = symbol<HookFn>("gotoblas_dynamic_quit");
  const auto init = symbol<HookFn>("gotoblas_dynamic_init");
  if (core_name == nullptr || quit == nullptr || init == nullptr) return;  // not a dynamic OpenBLAS
  const char* found = core_name();
  const char* core = core_for_this_cpu();
  if (found == nullptr || std::strcmp(found, "Prescott") != 0 || core == nullptr) return;
  std::strncpy(g_found, found, sizeof g_found - 1);
  // OpenBLAS reads OPENBLAS_CORETYPE only inside its selection; the variable is removed again
  // so that child processes make their own choice.
  setenv("OPENBLAS_CORETYPE", core, 1);
  quit();
  init();
  unsetenv("OPENBLAS_CORETYPE");
  std::strncpy(g_chosen, core_name(), sizeof g_chosen - 1);
}

void set_threads(int n) {
  if (n <= 0) n = int(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  if (const auto set = symbol<SetThreadsFn>("openblas_set_num_threads")) set(n);
}

std::string blas_report() {
  const auto core_name = symbol<CoreNameFn>("openblas_get_corename");
  if (core_name == nullptr) return "not OpenBLAS";
  std::string s = std::string("OpenBLAS, core ") + core_name();
  if (*g_chosen != '\0')
    s += std::string(" (OpenBLAS chose ") + g_found + " on this CPU; spikessm chose " + g_chosen +
         ")";
  return s;
}

}  // namespace spikessm

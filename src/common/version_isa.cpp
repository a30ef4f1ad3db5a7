// The CPU check of the instruction set this build was compiled for (cmake/isa.cmake).
//
// This file alone is compiled for plain x86-64 (and without the precompiled header), and its
// check runs as a static constructor before any other code of a binary that links the
// library (cmake/isa.cmake has the linker keep it): a CPU without, say, AVX2 gets one error
// line and exit code 2 instead of a SIGILL somewhere inside. It uses only C calls and its own
// code: an inline C++ function (std::string, ...) may be merged at link time with a copy
// compiled for the build's instruction set, which is exactly what must not run yet.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "spikessm/common/blas_core.h"
#include "spikessm/common/version.h"

// CMake defines these (cmake/isa.cmake); a build without them checks nothing.
#ifndef SPIKESSM_ISA_NAME
#define SPIKESSM_ISA_NAME "default"
#endif
#ifndef SPIKESSM_ISA_FLAGS_TEXT
#define SPIKESSM_ISA_FLAGS_TEXT ""
#endif
#ifndef SPIKESSM_ISA_REQUIRES
#define SPIKESSM_ISA_REQUIRES ""
#endif
#ifndef SPIKESSM_AVX512_KERNELS
#define SPIKESSM_AVX512_KERNELS 0
#endif

namespace spikessm {
namespace {

struct Feature {
  const char* name;  // __builtin_cpu_supports spelling
  int (*has)();
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPIKESSM_F(n)                                   \
  {                                                     \
    n, [] { return __builtin_cpu_supports(n) ? 1 : 0; } \
  }
const Feature kFeatures[] = {
    SPIKESSM_F("sse3"),         SPIKESSM_F("sse4.1"),
    SPIKESSM_F("sse4.2"),       SPIKESSM_F("popcnt"),
    SPIKESSM_F("avx"),          SPIKESSM_F("avx2"),
    SPIKESSM_F("fma"),          SPIKESSM_F("bmi"),
    SPIKESSM_F("bmi2"),         SPIKESSM_F("avx512f"),
    SPIKESSM_F("avx512bw"),     SPIKESSM_F("avx512cd"),
    SPIKESSM_F("avx512dq"),     SPIKESSM_F("avx512vl"),
    SPIKESSM_F("avx512ifma"),   SPIKESSM_F("avx512vbmi"),
    SPIKESSM_F("avx512vbmi2"),  SPIKESSM_F("avx512vnni"),
    SPIKESSM_F("avx512bitalg"), SPIKESSM_F("avx512vpopcntdq"),
    SPIKESSM_F("avx512bf16"),   SPIKESSM_F("gfni"),
    SPIKESSM_F("vpclmulqdq"),   SPIKESSM_F("pclmul"),
    SPIKESSM_F("aes"),
#if !defined(__clang__)  // names clang 14's __builtin_cpu_supports does not know
    SPIKESSM_F("f16c"),         SPIKESSM_F("lzcnt"),
    SPIKESSM_F("movbe"),        SPIKESSM_F("xsave"),
    SPIKESSM_F("avxvnni"),      SPIKESSM_F("avx512fp16"),
#endif
};
#undef SPIKESSM_F
#else
const Feature kFeatures[] = {{"", [] { return -1; }}};
#endif

// Is `name` one of the comma-separated words of `list`?
bool in_list(const char* list, const char* name, size_t len) {
  for (const char* p = list; p && *p;) {
    const char* end = std::strchr(p, ',');
    const size_t n = end ? size_t(end - p) : std::strlen(p);
    if (n == len && std::strncmp(p, name, len) == 0) return true;
    p = end ? end + 1 : nullptr;
  }
  return false;
}

// The word of `list` starting at p, copied into buf (features are short).
const char* word(const char* p, char* buf, size_t cap) {
  size_t n = 0;
  while (p[n] && p[n] != ',' && n + 1 < cap) ++n;
  std::memcpy(buf, p, n);
  buf[n] = '\0';
  return buf;
}

}  // namespace

const char* compiled_isa() { return SPIKESSM_ISA_NAME; }
const char* compiled_isa_flags() { return SPIKESSM_ISA_FLAGS_TEXT; }
const char* required_cpu_features() { return SPIKESSM_ISA_REQUIRES; }

int cpu_has(const char* feature) {
  const size_t len = std::strlen(feature);
  // SPIKESSM_CPU_HIDE=avx2,fma: behave as on a CPU without them (to see the refusal).
  if (in_list(std::getenv("SPIKESSM_CPU_HIDE"), feature, len)) return 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // Needed before the runtime's own constructor has filled the feature bits, i.e. in ours.
  __builtin_cpu_init();
#endif
  for (const Feature& f : kFeatures)
    if (std::strcmp(f.name, feature) == 0) return f.has();
  return -1;
}

bool runs_avx512_kernels() {
  if (!SPIKESSM_AVX512_KERNELS) return false;
  for (const char* f : {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})
    if (cpu_has(f) != 1) return false;
  return true;
}

const char* missing_cpu_feature() {
  static char buf[32];
  for (const char* p = SPIKESSM_ISA_REQUIRES; *p;) {
    if (cpu_has(word(p, buf, sizeof buf)) == 0) return buf;
    const char* end = std::strchr(p, ',');
    if (!end) break;
    p = end + 1;
  }
  return nullptr;
}

void require_cpu_isa() {
  const char* missing = missing_cpu_feature();
  if (missing == nullptr) return;
  std::fprintf(stderr,
               "error: this spikessm was compiled for %s (%s) and this CPU has no %s; build it "
               "with cmake -DSPIKESSM_ISA=generic (or a level this CPU has)\n",
               SPIKESSM_ISA_NAME, SPIKESSM_ISA_FLAGS_TEXT, missing);
  std::fflush(stderr);
  _exit(2);
}

}  // namespace spikessm

// Kept by the linker in every binary that links the library (cmake/isa.cmake); runs before
// the constructors of default priority, i.e. before any other code of ours. Once the CPU has
// passed, OpenBLAS gets the kernels of its instruction set (blas_core.h), before any GEMM.
extern "C" void spikessm_require_cpu_isa() { spikessm::require_cpu_isa(); }
__attribute__((constructor(101))) static void spikessm_cpu_isa_guard() {
  spikessm_require_cpu_isa();
  spikessm::select_blas_core();
}

// `spikessm --version --verbose`: what this build is and how it runs on this CPU. Compiled
// with the library's ISA flags like the kernels, so the macros below describe their code.
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "spikessm/common/blas_core.h"
#include "spikessm/common/version.h"

namespace spikessm {
namespace {

// "model name" of /proc/cpuinfo, or "unknown".
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

// LibTorch's own kernels pick their ISA at run time; at::show_config() names the one in use.
std::string libtorch_cpu_capability() {
  std::istringstream in(at::show_config());
  const std::string key = "CPU capability usage: ";
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(key);
    if (at != std::string::npos) return line.substr(at + key.size());
  }
  return "unknown";
}

// The words of a comma-separated list that this CPU has (1) or lacks (0).
std::string features_where(const char* list, int want) {
  std::string out, word;
  std::istringstream in(list);
  while (std::getline(in, word, ','))
    if (!word.empty() && cpu_has(word.c_str()) == want) out += (out.empty() ? "" : ",") + word;
  return out.empty() ? "-" : out;
}

// The path of each hot kernel (src/kernels/cpu), fixed at compile time by these flags.
// at::vec's AVX2 code is used under the condition of vec_util.h (tests/test_version.cpp
// checks that the two agree); otherwise its generic array code.
#if defined(__AVX2__) && defined(__FMA__) && __has_include(<sleef.h>)
constexpr const char* kAtVec = "AVX2, 256-bit (8 floats)";
#else
constexpr const char* kAtVec = "generic arrays (8 floats, no AVX2)";
#endif
#if defined(__AVX512F__)
constexpr const char* kGccVec = "8-lane vector extensions: ymm (float), zmm (double)";
#elif defined(__AVX__)
constexpr const char* kGccVec = "8-lane vector extensions: ymm";
#else
constexpr const char* kGccVec = "8-lane vector extensions: 2 x xmm (SSE2)";
#endif

// The diagonal-SSM scan (kernels/cpu/diag_ssm_cpu.cpp): its own width where the build has
// AVX-512, or an AVX-512 copy that an avx2 build takes on a CPU that has it.
std::string diag_ssm_path() {
#if defined(__AVX512F__)
  return "vector extensions: zmm (16 floats, 8 doubles)";
#else
  if (runs_avx512_kernels())
    return "vector extensions: zmm (16 floats, 8 doubles), AVX-512 chosen at run time";
  return kGccVec;
#endif
}

}  // namespace

std::string version_verbose() {
  std::ostringstream o;
  o << version_line() << "\n";
  o << "isa: " << compiled_isa() << " (" << compiled_isa_flags() << ")\n";
  o << "isa requires: " << (*required_cpu_features() ? required_cpu_features() : "-") << "\n";
  o << "cpu: " << cpu_model() << "\n";
  const char* missing = missing_cpu_feature();
  o << "cpu lacks: " << (missing ? missing : "-") << "\n";
  o << "cpu has: "
    << features_where(
           "avx,avx2,fma,bmi,bmi2,f16c,avx512f,avx512bw,avx512cd,avx512dq,avx512vl,"
           "avx512vnni,avx512bf16,avx512fp16,avxvnni",
           1)
    << "\n";
  o << "at::vec: " << kAtVec << "\n";
  for (const char* k : {"lif", "plif", "selective_plif", "selective_scan", "spike", "spike_linear"})
    o << "kernel " << k << ": at::vec " << kAtVec << "\n";
  o << "kernel diag_ssm: " << diag_ssm_path() << "\n";
  o << "kernel sdn: " << kGccVec << "\n";
  for (const char* k : {"ndyn_scan", "vandermonde"})
    o << "kernel " << k << ": compiler-vectorised loops (" << compiled_isa() << ")\n";
  o << "kernel fft_conv: LibTorch FFT (" << libtorch_cpu_capability() << ")\n";
  o << "libtorch: " << TORCH_VERSION << "\n";
  o << "libtorch cpu capability: " << libtorch_cpu_capability() << "\n";
  o << "blas: " << blas_report() << "\n";
  o << "threads: " << at::get_num_threads() << " (cores: " << std::thread::hardware_concurrency()
    << ")\n";
  return o.str();
}

}  // namespace spikessm

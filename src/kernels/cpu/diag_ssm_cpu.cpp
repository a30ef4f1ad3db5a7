#include "diag_ssm_cpu.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "flush_denormals.h"
#include "spikessm/common/version.h"

#define DIAG_SSM_NS build_isa
#include "diag_ssm_lanes.h"
#undef DIAG_SSM_NS

namespace spikessm::kernels {

#if defined(SPIKESSM_AVX512_KERNELS)
namespace avx512 {  // diag_ssm_avx512.cpp
template <typename T>
DiagSsmLanes<T> lanes();
}
#endif

namespace {

std::atomic<DiagSsmPath> g_path{DiagSsmPath::Auto};

template <typename T>
DiagSsmLanes<T> chosen_lanes() {
#if defined(SPIKESSM_AVX512_KERNELS)
  if (g_path.load() != DiagSsmPath::Build && diag_ssm_avx512_available()) return avx512::lanes<T>();
#endif
  return build_isa::lanes<T>();
}

// Per-thread scratch rows for the lane functions, 64-byte aligned.
struct Scratch {
  std::vector<unsigned char> bytes;
  unsigned char* get(int64_t n) {
    bytes.resize(size_t(n) + 64);
    auto a = reinterpret_cast<uintptr_t>(bytes.data());
    return bytes.data() + ((64 - a % 64) % 64);
  }
};

}  // namespace

void set_diag_ssm_path(DiagSsmPath path) { g_path.store(path); }

bool diag_ssm_avx512_available() {
#if defined(SPIKESSM_AVX512_KERNELS)
  static const bool has = runs_avx512_kernels();  // the environment is read once
  return has;
#else
  return false;
#endif
}

template <typename T>
void diag_ssm_forward_cpu(const DiagSsmParams<T>& p) {
  const DiagSsmLanes<T> k = chosen_lanes<T>();
  const int64_t blocks = (p.H + k.lanes - 1) / k.lanes;
  at::parallel_for(0, p.B * blocks, 1, [&](int64_t begin, int64_t end) {
    const FlushDenormals flush;
    Scratch scratch;
    unsigned char* s = scratch.get(3 * (p.L + 1) * k.bytes);
    for (int64_t task = begin; task < end; ++task)
      k.forward(p, task / blocks, (task % blocks) * k.lanes, s);
  });
}

template <typename T>
void diag_ssm_backward_cpu(const DiagSsmParams<T>& p) {
  const DiagSsmLanes<T> k = chosen_lanes<T>();
  const int64_t blocks = (p.H + k.lanes - 1) / k.lanes;
  const int64_t nw = p.C * p.H * p.M * 2, nz = p.H * p.M * 2;
  // Per-sample partial parameter gradients, reduced in a fixed order afterwards.
  std::vector<T> dw_part(size_t(p.B * nw), T(0)), dz_part(size_t(p.B * nz), T(0));
  std::vector<T> dd_part(size_t(p.B * p.H), T(0));
  at::parallel_for(0, p.B * blocks, 1, [&](int64_t begin, int64_t end) {
    const FlushDenormals flush;
    Scratch scratch;
    unsigned char* s = scratch.get(3 * (p.L + 1) * k.bytes);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / blocks;
      k.backward(p, b, (task % blocks) * k.lanes, &dw_part[size_t(b * nw)],
                 &dz_part[size_t(b * nz)], &dd_part[size_t(b * p.H)], s);
    }
  });
  std::fill(p.dw, p.dw + nw, T(0));
  std::fill(p.dz, p.dz + nz, T(0));
  std::fill(p.dd, p.dd + p.H, T(0));
  for (int64_t b = 0; b < p.B; ++b) {
    for (int64_t i = 0; i < nw; ++i) p.dw[i] += dw_part[size_t(b * nw + i)];
    for (int64_t i = 0; i < nz; ++i) p.dz[i] += dz_part[size_t(b * nz + i)];
    for (int64_t i = 0; i < p.H; ++i) p.dd[i] += dd_part[size_t(b * p.H + i)];
  }
}

template void diag_ssm_forward_cpu<float>(const DiagSsmParams<float>&);
template void diag_ssm_forward_cpu<double>(const DiagSsmParams<double>&);
template void diag_ssm_backward_cpu<float>(const DiagSsmParams<float>&);
template void diag_ssm_backward_cpu<double>(const DiagSsmParams<double>&);

}  // namespace spikessm::kernels

#pragma once
// Fused selective PLIF kernels (papers.md 3.1; the op's header is
// include/spikessm/neurons/selective_plif.h). All arrays contiguous, D fastest.
#include <cstdint>

#include "spikessm/common/surrogate.h"

namespace spikessm::kernels {

struct SelectivePlifKernelOptions {
  double surrogate_alpha = 4.0;
  Surrogate surrogate = Surrogate::Sigmoid;
  bool detach_reset = false;
};

template <typename T>
struct SelectivePlifForwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* current = nullptr;  // (B, L, D) I
  const T* beta = nullptr;     // (B, L, D) decay
  const T* gain = nullptr;     // (B, L, D) input gain alpha(t)
  const T* v_th = nullptr;     // (B, L, D) threshold
  const T* v0 = nullptr;       // (B, D) initial membrane; null: zeros
  T* s = nullptr;              // (B, L, D) spikes
  T* v = nullptr;              // (B, L, D) V_post
};

template <typename T>
struct SelectivePlifBackwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* current = nullptr;  // (B, L, D) forward inputs, as above
  const T* beta = nullptr;
  const T* gain = nullptr;
  const T* v_th = nullptr;
  const T* v0 = nullptr;      // (B, D) or null
  const T* v = nullptr;       // (B, L, D) V_post saved by the forward; V_pre is recomputed
  const T* grad_s = nullptr;  // (B, L, D) dL/ds; null: zero
  const T* grad_v = nullptr;  // (B, L, D) dL/dV_post; null: zero
  T* d_current = nullptr;     // (B, L, D)
  T* d_beta = nullptr;        // (B, L, D)
  T* d_gain = nullptr;        // (B, L, D)
  T* d_vth = nullptr;         // (B, L, D)
  T* d_v0 = nullptr;          // (B, D); null: not wanted
  SelectivePlifKernelOptions opt;
};

// current, beta, gain, v_th: (B, L, D), v0: (B, D) -> s, v: (B, L, D)
template <typename T>
void selective_plif_forward_cpu(const SelectivePlifForwardParams<T>& p);

// -> d_current, d_beta, d_gain, d_vth: (B, L, D), d_v0: (B, D); one reverse pass over time.
template <typename T>
void selective_plif_backward_cpu(const SelectivePlifBackwardParams<T>& p);

}  // namespace spikessm::kernels

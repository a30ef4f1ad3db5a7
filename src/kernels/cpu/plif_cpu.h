#pragma once
// Fused parametric-LIF kernels (the op's header is include/spikessm/neurons/plif.h):
// per-channel decay and threshold. All arrays contiguous, D fastest.
#include <cstdint>

#include "spikessm/common/surrogate.h"

namespace spikessm::kernels {

struct PlifKernelOptions {
  double surrogate_alpha = 4.0;
  Surrogate surrogate = Surrogate::Sigmoid;
  bool hard_reset = false;
  bool decay_input = true;  // V_pre = beta V + (1 - beta) x; false: beta V + x
  bool detach_reset = false;
};

template <typename T>
struct PlifForwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* x = nullptr;     // (B, L, D) input
  const T* beta = nullptr;  // (D) decay, sigmoid(w)
  const T* v_th = nullptr;  // (D) threshold
  const T* v0 = nullptr;    // (B, D) initial membrane; null: zeros
  T* s = nullptr;           // (B, L, D) spikes
  T* v = nullptr;           // (B, L, D) V_post
  PlifKernelOptions opt;
};

template <typename T>
struct PlifBackwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* x = nullptr;  // forward inputs, as above
  const T* beta = nullptr;
  const T* v_th = nullptr;
  const T* v0 = nullptr;
  const T* v = nullptr;       // (B, L, D) V_post saved by the forward; V_pre is recomputed
  const T* grad_s = nullptr;  // (B, L, D) dL/ds; null: zero
  const T* grad_v = nullptr;  // (B, L, D) dL/dV_post; null: zero
  T* dx = nullptr;            // (B, L, D)
  T* dbeta_rows = nullptr;    // (B, D) dL/dbeta summed over time, per batch row
  T* dvth_rows = nullptr;     // (B, D) dL/dv_th summed over time, per batch row
  T* d_v0 = nullptr;          // (B, D); null: not wanted
  PlifKernelOptions opt;
};

// x: (B, L, D), beta, v_th: (D), v0: (B, D) -> s, v: (B, L, D)
template <typename T>
void plif_forward_cpu(const PlifForwardParams<T>& p);

// -> dx: (B, L, D), dbeta_rows, dvth_rows, d_v0: (B, D); one reverse pass over time.
template <typename T>
void plif_backward_cpu(const PlifBackwardParams<T>& p);

}  // namespace spikessm::kernels

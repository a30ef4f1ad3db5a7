#pragma once
// Fused multi-step LIF kernels (papers.md 1.1-1.2) over plain params structs: no autograd,
// no tensors. All arrays are contiguous (B, L, D) with D fastest; rows (b, channel-chunk)
// are independent and run in parallel, time runs sequentially inside a row.
#include <cstdint>

#include "spikessm/common/surrogate.h"

namespace spikessm::kernels {

// The neuron's constants, flattened from LifOptions so kernels do not depend on torch.
struct LifKernelOptions {
  double tau = 0.125;
  double v_th = 1.0;
  double alpha = 4.0;
  Surrogate surrogate = Surrogate::Triangle;
  bool hard_reset = true;    // false: soft reset (subtract v_th)
  bool bptt = true;          // false: SLTT (no gradient through the leak)
  bool detach_reset = true;  // false: gradient also flows through s_t in the reset
};

template <typename T>
struct LifForwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* x = nullptr;  // (B, L, D) input current
  T* s = nullptr;        // (B, L, D) spikes, exactly 0 or 1
  T* u_pre = nullptr;    // (B, L, D) pre-spike membrane u'_t; may be null (inference)
  // Streaming: the membrane u after reset, read as u_0 before the first step and overwritten
  // with u_L after the last, so consecutive chunks equal one long run. Null: start from 0.
  T* v = nullptr;  // (B, D)
  LifKernelOptions opt;
};

template <typename T>
struct LifBackwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* grad_s = nullptr;  // (B, L, D) dL/ds
  const T* u_pre = nullptr;   // (B, L, D) saved by the forward; spikes are re-derived from it
  T* dx = nullptr;            // (B, L, D) dL/dx
  LifKernelOptions opt;
};

// x: (B, L, D) -> s: (B, L, D), u_pre: (B, L, D)
template <typename T>
void lif_forward_cpu(const LifForwardParams<T>& p);

// grad_s: (B, L, D), u_pre: (B, L, D) -> dx: (B, L, D); one reverse pass over time.
template <typename T>
void lif_backward_cpu(const LifBackwardParams<T>& p);

}  // namespace spikessm::kernels

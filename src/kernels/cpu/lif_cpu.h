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

// The backward recomputes u' instead of reading it back: the forward keeps the membrane u at
// the start of every kLifBlock steps, and the backward replays one block forward into a
// cache-resident buffer, then walks it in reverse. That moves 5 (B, L, D) streams (x, s
// forward; x, g, dx backward) where a saved u' moves 6. Bit-identical: the replay performs
// the forward's own roundings.
constexpr int64_t kLifBlock = 32;
inline int64_t lif_checkpoints(int64_t L) { return (L + kLifBlock - 1) / kLifBlock; }

template <typename T>
struct LifForwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* x = nullptr;      // (B, L, D) input current
  const T* scale = nullptr;  // (D) or null: the neuron sees x * scale (threshold scaling)
  T* s = nullptr;            // (B, L, D) spikes, exactly 0 or 1
  T* u_pre = nullptr;        // (B, L, D) pre-spike membrane u'_t; may be null
  T* ckpt = nullptr;         // (B, lif_checkpoints(L), D) u before each block; null: inference
  // Streaming: the membrane u after reset, read as u_0 before the first step and overwritten
  // with u_L after the last, so consecutive chunks equal one long run. Null: start from 0.
  T* v = nullptr;  // (B, D)
  LifKernelOptions opt;
};

template <typename T>
struct LifBackwardParams {
  int64_t B = 0, L = 0, D = 0;
  const T* grad_s = nullptr;  // (B, L, D) dL/ds
  const T* x = nullptr;       // (B, L, D) the forward's input; u' is replayed from it
  const T* scale = nullptr;   // (D) or null, as in the forward
  const T* ckpt = nullptr;    // (B, lif_checkpoints(L), D) written by the forward
  T* dx = nullptr;            // (B, L, D) dL/dx (through the scaling)
  T* dscale = nullptr;        // (B, L, D) or null: dL/d(x scale) * x, for the caller's sum
  LifKernelOptions opt;
};

// x: (B, L, D) -> s: (B, L, D), u_pre: (B, L, D), ckpt: (B, lif_checkpoints(L), D)
template <typename T>
void lif_forward_cpu(const LifForwardParams<T>& p);

// grad_s, x: (B, L, D), ckpt -> dx, dscale: (B, L, D); blocks in reverse, each replayed forward.
template <typename T>
void lif_backward_cpu(const LifBackwardParams<T>& p);

}  // namespace spikessm::kernels

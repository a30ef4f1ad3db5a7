#pragma once
// The SpikingSSM block's epilogue after its mixing GEMM: GLU and residual in one pass, and a
// backward that writes both GLU halves' gradients straight into the GEMM output's layout
// (no 2H-wide concatenation). Op: include/spikessm/layers/block_ops.h. Contiguous arrays.
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct GluResidualParams {
  int64_t M = 0, H = 0;     // rows (B * L) x channels
  const T* x = nullptr;     // (M, H) residual input (forward)
  const T* m = nullptr;     // (M, 2H) GEMM output: a = m[:, :H], b = m[:, H:]
  const T* sig = nullptr;   // (M, H) sigmoid(b), computed by ATen (its exp, its bits)
  T* out = nullptr;         // (M, H) forward output: x + a * sig
  const T* grad = nullptr;  // (M, H) dL/dout (backward)
  T* dm = nullptr;          // (M, 2H) backward output: [g sig, (g a)(1 - sig) sig]
};

// x, m, sig -> out: (M, H)
template <typename T>
void glu_residual_forward_cpu(const GluResidualParams<T>& p);

// grad, m, sig -> dm: (M, 2H)
template <typename T>
void glu_residual_backward_cpu(const GluResidualParams<T>& p);

}  // namespace spikessm::kernels

#pragma once
// The SpikingSSM block's epilogue after its mixing GEMM: GLU and residual in one pass, and a
// backward that writes both GLU halves' gradients straight into the GEMM output's layout
// (no 2H-wide concatenation). The GEMM's bias is added here (the GEMM then writes its output
// once instead of updating a copy of the bias), and the sigmoid is computed here too, with
// vec_util's exp as the step engine does. Op: include/spikessm/layers/block_ops.h.
// Contiguous arrays.
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct GluResidualParams {
  int64_t M = 0, H = 0;     // rows (B * L) x channels
  const T* x = nullptr;     // (M, H) residual input (forward)
  const T* m = nullptr;     // (M, 2H) GEMM output without bias
  const T* bias = nullptr;  // (2H) or null: a = m[:, :H] + bias[:H], b = m[:, H:] + bias[H:]
  T* sig = nullptr;         // (M, H) sigmoid(b): written by forward, read by backward
  T* out = nullptr;         // (M, H) forward output: x + a * sig
  const T* grad = nullptr;  // (M, H) dL/dout (backward)
  T* dm = nullptr;          // (M, 2H) backward output: [g sig, (g a)(1 - sig) sig]
};

// x, m, bias -> out, sig: (M, H)
template <typename T>
void glu_residual_forward_cpu(const GluResidualParams<T>& p);

// grad, m, bias, sig -> dm: (M, 2H), the gradient of the GEMM output (and of the bias, summed
// over rows)
template <typename T>
void glu_residual_backward_cpu(const GluResidualParams<T>& p);

}  // namespace spikessm::kernels

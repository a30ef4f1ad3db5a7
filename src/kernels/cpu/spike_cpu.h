#pragma once
// Fused stateless spike kernels: the Heaviside of Binary S4D and the ternary spike of the
// GSU (ops: include/spikessm/neurons/heaviside.h, ternary.h). Contiguous arrays.
#include <cstdint>

#include "spikessm/common/surrogate.h"

namespace spikessm::kernels {

template <typename T>
struct HeavisideParams {
  int64_t n = 0;              // elements
  const T* x = nullptr;       // (n)
  const T* grad_s = nullptr;  // (n) backward only
  T* s = nullptr;             // (n) forward output
  T* dx = nullptr;            // (n) backward output
  double v_th = 0.0;
  double surrogate_alpha = 4.0;
  Surrogate surrogate = Surrogate::Triangle;
};

// x: (n) -> s: (n)
template <typename T>
void heaviside_forward_cpu(const HeavisideParams<T>& p);
// x, grad_s: (n) -> dx: (n)
template <typename T>
void heaviside_backward_cpu(const HeavisideParams<T>& p);

template <typename T>
struct TernaryParams {
  int64_t R = 0, D = 0;       // rows x last dimension
  const T* x = nullptr;       // (R, D)
  T* th = nullptr;            // (R) threshold per row: forward output, backward input
  T* q = nullptr;             // (R, D) forward output
  const T* grad_q = nullptr;  // (R, D) backward input
  T* dx = nullptr;            // (R, D) backward output
  T* dscale_rows = nullptr;   // (R) backward output: sum_d grad_q * Ter(x) / scale
  T scale = T(1);
  double ratio = 0.15;
  bool per_row = true;  // false: one threshold from the max over the whole tensor
  double surrogate_alpha = 2.0;
  Surrogate surrogate = Surrogate::Atan;
};

// x: (R, D) -> th: (R), q: (R, D)
template <typename T>
void ternary_forward_cpu(const TernaryParams<T>& p);
// x, grad_q: (R, D), th: (R) -> dx: (R, D), dscale_rows: (R)
template <typename T>
void ternary_backward_cpu(const TernaryParams<T>& p);

}  // namespace spikessm::kernels

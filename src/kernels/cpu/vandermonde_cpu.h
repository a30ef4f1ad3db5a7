#pragma once
// The S4D Vandermonde kernel K[c, h, l] = 2 Re sum_m w[c, h, m] z[h, m]^l, with its exact
// gradient; powers of z are accumulated in double so float32 inputs lose nothing.
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct VandermondeParams {
  int64_t C = 1, H = 0, M = 0, L = 0;
  const T* w = nullptr;   // (C, H, M, 2) complex as (re, im)
  const T* z = nullptr;   // (H, M, 2)
  T* k = nullptr;         // forward out: (C, H, L)
  const T* dk = nullptr;  // backward in: (C, H, L)
  T* dw = nullptr;        // backward out: (C, H, M, 2)
  T* dz = nullptr;        // backward out: (H, M, 2)
};

// w: (C, H, M, 2), z: (H, M, 2) -> k: (C, H, L)
template <typename T>
void vandermonde_forward_cpu(const VandermondeParams<T>& p);

// dk: (C, H, L) -> dw: (C, H, M, 2), dz: (H, M, 2)
template <typename T>
void vandermonde_backward_cpu(const VandermondeParams<T>& p);

}  // namespace spikessm::kernels

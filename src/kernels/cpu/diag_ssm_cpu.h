#pragma once
// Fused diagonal-SSM scan: the S4D layer computed as its recurrence instead of an FFT.
// Per channel h and complex mode m (state h_t, decay z = exp(dt A), input weight w = C Bbar):
//   causal:       s_t = z s_{t-1} + w0 x_t,      y_t += 2 Re sum_m s_t
//   anti-causal:  r_t = z r_{t+1} + w1 x_{t+1},  y_t += 2 Re sum_m r_t   (bidirectional only)
//   y_t += d x_t
// This is exactly the convolution with the Vandermonde kernel, at O(L M) per channel with no
// FFT and no stored states: backward runs two adjoint scans per mode (mu = dL/ds, and nu,
// which carries the gradient of the decay) in one reverse pass.
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct DiagSsmParams {
  int64_t B = 0, L = 0, H = 0, M = 0, C = 1;  // C = 2: bidirectional
  const T* u = nullptr;                       // (B, L, H)
  const T* w = nullptr;                       // (C, H, M, 2) complex as (re, im)
  const T* z = nullptr;                       // (H, M, 2)
  const T* d = nullptr;                       // (H)
  T* y = nullptr;                             // forward out: (B, L, H)
  const T* gy = nullptr;                      // backward in: (B, L, H)
  T* du = nullptr;                            // backward out: (B, L, H)
  T* dw = nullptr;                            // backward out: (C, H, M, 2)
  T* dz = nullptr;                            // backward out: (H, M, 2)
  T* dd = nullptr;                            // backward out: (H)
  // Streaming (forward, C = 1 only): the causal mode states s, read as s_0 before the first
  // step and overwritten with s_L after the last, so consecutive chunks equal one long scan.
  T* state = nullptr;  // (B, H, M, 2) complex as (re, im); null: start from zero
};

// u: (B, L, H) -> y: (B, L, H)
template <typename T>
void diag_ssm_forward_cpu(const DiagSsmParams<T>& p);

// gy: (B, L, H) -> du: (B, L, H), dw: (C, H, M, 2), dz: (H, M, 2), dd: (H)
template <typename T>
void diag_ssm_backward_cpu(const DiagSsmParams<T>& p);

// One instruction set's scan of sample b, channels [h0, h0 + lanes) (diag_ssm_lanes.h).
// scratch: 3 (L + 1) vectors of `bytes` each, aligned to 64.
template <typename T>
struct DiagSsmLanes {
  int64_t lanes, bytes;
  void (*forward)(const DiagSsmParams<T>& p, int64_t b, int64_t h0, unsigned char* scratch);
  // Adds sample b's dz and dd into dz (H, M, 2), dd (H); writes its dw (C, H, M, 2).
  void (*backward)(const DiagSsmParams<T>& p, int64_t b, int64_t h0, T* dw, T* dz, T* dd,
                   unsigned char* scratch);
};

// The scan's code path: the build's instruction set, or AVX-512 (16 floats a vector, 32
// registers) chosen at run time when the build is avx2 and the CPU has AVX-512. Both give
// bit-identical results; force one to compare them.
enum class DiagSsmPath { Auto, Build, Avx512 };
void set_diag_ssm_path(DiagSsmPath path);
bool diag_ssm_avx512_available();  // compiled in and supported by this CPU

}  // namespace spikessm::kernels

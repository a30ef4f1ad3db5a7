#pragma once
// Fused selective (input-dependent decay) linear scan: the non-spiking twin of the selective
// PLIF (papers.md 3.1 without spike and reset). The op's header is
// include/spikessm/ssm/selective_scan.h. All arrays contiguous, D fastest.
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct SelectiveScanParams {
  int64_t B = 0, L = 0, D = 0;
  bool beta_per_channel = false;  // beta is (D) instead of (B, L, D)
  const T* u = nullptr;           // (B, L, D) input
  const T* beta = nullptr;        // (B, L, D) or (D) decay
  const T* h0 = nullptr;          // (B, D) initial state; null: zeros
  T* h = nullptr;                 // forward out: (B, L, D)
  const T* gh = nullptr;          // backward in: (B, L, D) dL/dh
  T* du = nullptr;                // backward out: (B, L, D)
  T* dbeta = nullptr;  // backward out: (B, L, D) per element (summed by the caller if per channel)
  T* dh0 = nullptr;    // backward out: (B, D); null: not wanted
};

// u, beta: (B, L, D), h0: (B, D) -> h: (B, L, D);  h[t] = beta[t] h[t-1] + u[t]
template <typename T>
void selective_scan_forward_cpu(const SelectiveScanParams<T>& p);

// gh: (B, L, D), h saved by the forward -> du, dbeta: (B, L, D), dh0: (B, D); one reverse pass:
//   G[t] = gh[t] + beta[t+1] G[t+1];  du[t] = G[t];  dbeta[t] = G[t] h[t-1]
template <typename T>
void selective_scan_backward_cpu(const SelectiveScanParams<T>& p);

}  // namespace spikessm::kernels

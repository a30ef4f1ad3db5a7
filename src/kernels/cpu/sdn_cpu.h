#pragma once
// Fused inference of the folded SDN (papers.md 1.4) over contiguous rows: each row is one
// current sequence; rows run in parallel, time is vectorised (the network is a fixed causal
// 8-tap window, so every output position is independent).
#include <cstdint>

namespace spikessm::kernels {

struct SdnParams {
  int64_t R = 0, L = 0;       // rows, sequence length
  const float* x = nullptr;   // (R, L) currents
  float* m = nullptr;         // (R, L) predicted leaked membrane
  const float* w1 = nullptr;  // (8, 8): w1[c*8 + k] multiplies x[t - 8 + k]
  const float* b1 = nullptr;  // (8)
  const float* w2 = nullptr;  // (8, 8): w2[c*8 + j], out c, in j
  const float* b2 = nullptr;  // (8)
  const float* w3 = nullptr;  // (8)
  float b3 = 0;
};

// x: (R, L) -> m: (R, L)
void sdn_forward_cpu(const SdnParams& p);

}  // namespace spikessm::kernels

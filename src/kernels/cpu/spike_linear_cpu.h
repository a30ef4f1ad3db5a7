#pragma once
// Event-driven linear layer over binary spikes (the SpikingSSM mixing layer, papers.md 1.3):
// each active input k adds one contiguous weight row wt[k, :] to its output row, so the work
// is rate x M x K x N additions (AC) instead of M x K x N multiply-adds.
// Accumulation order per output element is fixed: bias first, then active inputs in
// ascending k. Lanes of a vector are different outputs, so vectorising over N and splitting
// rows across threads never changes any element's order: results are deterministic.
#include <cstdint>

namespace spikessm::kernels {

// s: (M, K) float, exactly 0 or 1 -> bits: (M, W) uint64, W = ceil(K / 64), bit j of word w
// of row m set iff s[m, 64 w + j] != 0. Returns the number of set bits.
struct SpikePackParams {
  int64_t M = 0, K = 0;
  const float* s = nullptr;  // (M, K), row stride ld_s
  int64_t ld_s = 0;
  uint64_t* bits = nullptr;  // (M, W) contiguous
};
int64_t spike_pack_cpu(const SpikePackParams& p);

// bits: (M, W) -> z: (M, N) = bias + sum_{k active} wt[k, :]
// glu: out (M, N/2) = z[:, :N/2] * sigmoid(z[:, N/2:]) (the GLU of the mixing layer, fused so
// the pre-activation z is never written); else out = z (M, N).
struct SpikeLinearParams {
  int64_t M = 0, K = 0, N = 0;
  const uint64_t* bits = nullptr;  // (M, W) from spike_pack_cpu
  const float* wt = nullptr;       // (K, N) contiguous: W^T, one row per input
  const float* bias = nullptr;     // (N) or null
  float* out = nullptr;            // (M, N) contiguous, or (M, N/2) with glu
  bool glu = false;                // N must be even
};
void spike_linear_cpu(const SpikeLinearParams& p);

// The weight gradient of that product in training: bits: (M, W), g: (M, N) = dL/dz ->
// dwt: (K, N) = s^T g, each active spike adding its row of g (AC only). Inputs k are split
// across threads (each dwt row has one owner) and every element adds its rows in ascending
// m, so the result does not depend on the thread count.
struct SpikeLinearGradParams {
  int64_t M = 0, K = 0, N = 0;
  const uint64_t* bits = nullptr;  // (M, W) from spike_pack_cpu
  const float* g = nullptr;        // (M, N) contiguous
  float* dwt = nullptr;            // (K, N) contiguous, overwritten
};
void spike_linear_weight_grad_cpu(const SpikeLinearGradParams& p);

namespace ref {
// The plain scalar loop over the unpacked spikes in the same order: the bit-exact twin of
// spike_pack_cpu + spike_linear_cpu. s: (M, K) contiguous -> out: (M, N)
struct SpikeLinearRefParams {
  int64_t M = 0, K = 0, N = 0;
  const float* s = nullptr;
  const float* wt = nullptr;
  const float* bias = nullptr;
  float* out = nullptr;  // (M, N), or (M, N/2) with glu
  bool glu = false;
};
// With glu the sums are the kernel's bit for bit; the sigmoid uses std::exp (the kernel a
// vectorised exp), so outputs agree to a few float32 ulps.
void spike_linear_ref(const SpikeLinearRefParams& p);
// s: (M, K) contiguous, g: (M, N) -> dwt: (K, N), rows added in ascending m: the bit-exact twin
// of spike_linear_weight_grad_cpu.
void spike_linear_weight_grad_ref(int64_t M, int64_t K, int64_t N, const float* s, const float* g,
                                  float* dwt);
}  // namespace ref

inline int64_t spike_words(int64_t K) { return (K + 63) / 64; }

}  // namespace spikessm::kernels

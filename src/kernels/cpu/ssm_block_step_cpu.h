#pragma once
// One step (one token, or one input sample) of a SpikingSSM block for one sequence, fused
// over its state, with everything the input does not change precomputed by the caller:
//   u = norm(x)                        pre-norm: LayerNorm, a per-channel affine (BatchNorm at
//                                      inference, folded), or none
//   s_m <- z_m s_m + w_m u             per channel, complex mode m; z = exp(dt A)
//   y = 2 Re sum_m c_m s_m + d u       c null: w already carries C (w = C Bbar, s = C h)
//   a = LIF(y / v_th) in {0, 1}        or GELU(y) for the non-spiking twin
//   m = W a + bias                     matvec_cpu over the rows of W^T of the spiking neurons
//   x <- x + m[:H] sigmoid(m[H:])      GLU (x + m for the linear mix); post-norm: x <- norm(x)
// Complex arrays are planar per channel, (H, 2, M): M real parts, then M imaginary parts, so
// the modes of a channel vectorise without shuffles.
#include <cstdint>

namespace spikessm::kernels {

enum class StepNorm { None, Layer, Affine, Rms };

template <typename T>
struct ChannelNormParams {
  StepNorm kind = StepNorm::None;
  const T* w = nullptr;  // (H) LayerNorm or RMSNorm gamma, or the affine's scale
  const T* b = nullptr;  // (H) LayerNorm beta, or the affine's shift
  T eps = T(1e-5);       // LayerNorm, RMSNorm
};

template <typename T>
struct SsmBlockStepParams {
  int64_t H = 0, M = 0;  // channels, complex modes per channel (d_state / 2)
  ChannelNormParams<T> norm;
  bool prenorm = true;
  const T* z = nullptr;  // (H, 2, M) decays
  const T* w = nullptr;  // (H, 2, M) input weights
  const T* c = nullptr;  // (H, 2, M) output weights, or null (w carries C)
  const T* d = nullptr;  // (H) skip
  bool spiking = true;
  const T* inv_vth = nullptr;  // (H) 1 / v_th of the learnable threshold
  T tau = T(0), v_th = T(1);
  bool hard_reset = true;
  const T* mix_wt = nullptr;  // (H, n_mix) W^T, n_mix = 2H (GLU) or H
  const T* mix_b = nullptr;   // (n_mix)
  bool glu = true;
  T* s = nullptr;             // (H, 2, M) mode states, in/out
  T* v = nullptr;             // (H) membranes after reset, in/out (spiking)
  T* x = nullptr;             // (H) the residual stream, in/out
  T* u = nullptr;             // (H) scratch
  T* a = nullptr;             // (H) out: the soma's output (spikes)
  T* m = nullptr;             // (n_mix) scratch
  int32_t* active = nullptr;  // (H) scratch
};

// x: (H) -> x: (H); advances s and v.
template <typename T>
void ssm_block_step_cpu(const SsmBlockStepParams<T>& p);

// x: (H) -> y: (H) (may alias x).
template <typename T>
void channel_norm_cpu(const ChannelNormParams<T>& p, int64_t H, const T* x, T* y);

}  // namespace spikessm::kernels

// NeuronSpark's neurons one frame at a time (see neuronspark_step_cpu.h). The loops are short
// (D, D_ff or D N elements) and left to the compiler's vectoriser.
#include "neuronspark_step_cpu.h"

#include <algorithm>
#include <cmath>

namespace spikessm::kernels {
namespace {

// ATen's softplus (beta 1, threshold 20) and sigmoid.
template <typename T>
inline T softplus(T x) {
  return x > T(20) ? x : std::log1p(std::exp(x));
}
template <typename T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

}  // namespace

template <typename T>
void plif_node_frame_cpu(const PlifNodeStep<T>& p, const T* x, T* v, T* leak) {
  for (int64_t i = 0; i < p.n; ++i) {
    const T up = p.beta[i] * v[i] + p.omb[i] * x[i];
    const T h = up - p.v_th[i];
    const T post = p.spiking && h >= T(0) ? h : up;  // H(0) = 1
    v[i] = post;
    leak[i] = p.omb[i] * post;
  }
}

template <typename T>
void selective_plif_frame_cpu(const SelectivePlifStep<T>& p, const T* z, T* v) {
  const T *cur = z, *zb = z + p.n, *za = z + 2 * p.n, *zt = z + 3 * p.n;
  for (int64_t i = 0; i < p.n; ++i) {
    const T beta = sigmoid(zb[i] + p.b_beta[i]);
    const T gain = softplus(za[i] + p.b_alpha[i]);
    if (!p.spiking) {
      v[i] = beta * v[i] + gain * cur[i];
      continue;
    }
    const T up = beta * v[i] + gain * cur[i];
    const T h = up - (p.v_min + std::abs(zt[i] + p.b_th[i]));
    v[i] = h >= T(0) ? h : up;
  }
}

template <typename T>
void snn_block_output_frame_cpu(const T* o, const T* z_gate, const T* z_skip, int64_t D, T* y) {
  for (int64_t d = 0; d < D; ++d) y[d] = o[d] * sigmoid(z_gate[d]) + z_skip[d];
}

template <typename T>
void ponder_frames_cpu(const T* y, int64_t K, int64_t D, const T* w, T b, T* lambda, T* out) {
  // log p = -softplus(-z), log(1 - p) = -softplus(z), as ponder_aggregate.
  T log_survive = T(0), top = -INFINITY;
  for (int64_t k = 0; k < K; ++k) {
    T dot = T(0);
    for (int64_t d = 0; d < D; ++d) dot += y[k * D + d] * w[d];
    const T z = dot + b;
    lambda[k] = -softplus(-z) + log_survive;
    log_survive += -softplus(z);
    top = std::max(top, lambda[k]);
  }
  T sum = T(0);
  for (int64_t k = 0; k < K; ++k) sum += (lambda[k] = std::exp(lambda[k] - top));
  std::fill(out, out + D, T(0));
  for (int64_t k = 0; k < K; ++k) {
    lambda[k] /= sum;
    for (int64_t d = 0; d < D; ++d) out[d] += lambda[k] * y[k * D + d];
  }
}

template void plif_node_frame_cpu<float>(const PlifNodeStep<float>&, const float*, float*, float*);
template void plif_node_frame_cpu<double>(const PlifNodeStep<double>&, const double*, double*,
                                          double*);
template void selective_plif_frame_cpu<float>(const SelectivePlifStep<float>&, const float*,
                                              float*);
template void selective_plif_frame_cpu<double>(const SelectivePlifStep<double>&, const double*,
                                               double*);
template void snn_block_output_frame_cpu<float>(const float*, const float*, const float*, int64_t,
                                                float*);
template void snn_block_output_frame_cpu<double>(const double*, const double*, const double*,
                                                 int64_t, double*);
template void ponder_frames_cpu<float>(const float*, int64_t, int64_t, const float*, float, float*,
                                       float*);
template void ponder_frames_cpu<double>(const double*, int64_t, int64_t, const double*, double,
                                        double*, double*);

}  // namespace spikessm::kernels

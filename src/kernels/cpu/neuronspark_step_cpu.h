#pragma once
// One frame of NeuronSpark's neurons for one sequence (papers.md 3.1-3.4), for the language
// model's step engine (models/neuronspark_step.cpp): everything the input does not change
// (beta = sigmoid(w), 1 - beta) is computed by the caller once. Each function follows the
// arithmetic of the parallel ops (plif.h, selective_plif.h, neuronspark_parts.h), so a frame
// gives their spikes and, to rounding, their membranes.
#include <cstdint>

namespace spikessm::kernels {

// The fixed-parameter PLIF node: V_pre = beta V + (1 - beta) x; s = H(V_pre - v_th);
// V_post = V_pre - v_th s (soft reset); leak = (1 - beta) V_post. Non-spiking: no spike and
// no reset.
template <typename T>
struct PlifNodeStep {
  int64_t n = 0;
  const T* beta = nullptr;  // (n)
  const T* omb = nullptr;   // (n) 1 - beta
  const T* v_th = nullptr;  // (n)
  bool spiking = true;
};

// x: (n) -> leak: (n); v: (n) the membrane, advanced by one frame.
template <typename T>
void plif_node_frame_cpu(const PlifNodeStep<T>& p, const T* x, T* v, T* leak);

// The SNNBlock's selective neurons: beta = sigmoid(z_beta + b_beta), gain = softplus(z_alpha +
// b_alpha), v_th = v_min + |z_th + b_th|; V_pre = beta V + gain I; s = H(V_pre - v_th);
// V_post = V_pre - v_th s. Non-spiking: V = beta V + gain I.
template <typename T>
struct SelectivePlifStep {
  int64_t n = 0;  // D N hidden neurons
  const T* b_beta = nullptr;
  const T* b_alpha = nullptr;
  const T* b_th = nullptr;  // (n) each
  T v_min = T(0);
  bool spiking = true;
};

// z: (4 n) = [I, z_beta, z_alpha, z_th] of one frame; v: (n) V_post, advanced by one frame.
template <typename T>
void selective_plif_frame_cpu(const SelectivePlifStep<T>& p, const T* z, T* v);

// The SNNBlock's output of one frame: y = o * sigmoid(z_gate) + z_skip; (D) each -> y: (D).
template <typename T>
void snn_block_output_frame_cpu(const T* o, const T* z_gate, const T* z_skip, int64_t D, T* y);

// PonderNet over the K frames of a token: p_k = sigmoid(y_k . w + b), log lambda_k =
// log p_k + sum_{j<k} log(1 - p_j), lambda = softmax_k(log lambda); out = sum_k lambda_k y_k.
// y: (K, D), w: (D) -> lambda: (K), out: (D).
template <typename T>
void ponder_frames_cpu(const T* y, int64_t K, int64_t D, const T* w, T b, T* lambda, T* out);

}  // namespace spikessm::kernels

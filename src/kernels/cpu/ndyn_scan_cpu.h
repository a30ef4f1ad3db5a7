#pragma once
// Recurrent (inference) mode of the multi-dendrite neuron-dynamics attention (LRF-Dyn,
// papers.md 4.3, Eq. 12): per row r and channel d, k dendrites with a symmetric tridiagonal
// decay matrix A (diagonal a_i, neighbour coupling beta_i) integrate the token input:
//   X_n = A X_{n-1} + gamma * u_n   (X_n: (k, D), u_n broadcast over the k dendrites)
//   y_n[d] = sum_i c[i, d] X_n[i, d]  (the soma)
// State per row: k x D (O(kd), independent of the number of tokens). Forward only: training
// uses the equivalent FFT convolution (layers/neural_dynamics.h).
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct NdynScanParams {
  int64_t R = 0, N = 0, D = 0, K = 0;  // rows, tokens, channels, dendrites
  const T* u = nullptr;                // (R, N, D) token input
  const T* a = nullptr;                // (K) diagonal decay
  const T* beta = nullptr;             // (K - 1) coupling between dendrite i and i + 1
  const T* c = nullptr;                // (K, D) soma weights
  T gamma = 1;                         // membrane capacitance constant
  T* y = nullptr;                      // (R, N, D) soma output
  T* state = nullptr;  // (R, K, D) carried state: read at the start, written at the end;
                       // null starts every row from zero (a whole sequence at once)
};

// u: (R, N, D) -> y: (R, N, D); rows run in parallel, tokens sequentially.
void ndyn_scan_cpu(const NdynScanParams<float>& p);
void ndyn_scan_cpu(const NdynScanParams<double>& p);

}  // namespace spikessm::kernels

#pragma once
// Matrix-vector product for one token: y = bias + W x with W stored transposed (W^T rows
// contiguous), accumulated as a sum of the rows of W^T picked by the non-zero inputs. Binary
// spikes then read only the rows of the neurons that fired (no multiply is wasted on a 0), a
// real input reads every row; either way each output is summed over j in increasing order, so
// the result does not depend on the thread count.
#include <cstdint>

namespace spikessm::kernels {

template <typename T>
struct MatvecParams {
  int64_t n_in = 0, n_out = 0;
  const T* x = nullptr;             // (n_in)
  const int32_t* active = nullptr;  // (n_active) indices j with x[j] != 0, increasing
  int64_t n_active = 0;
  const T* wt = nullptr;    // (n_in, n_out) W^T
  const T* bias = nullptr;  // (n_out), or null (zero)
  T* y = nullptr;           // (n_out) out
};

// Fills active with the indices of the non-zero x (n_in of them at most); returns how many.
template <typename T>
int64_t nonzero_indices(const T* x, int64_t n_in, int32_t* active);

// x: (n_in) -> y: (n_out). Threads split the outputs (columns of W^T) when there are enough.
template <typename T>
void matvec_cpu(const MatvecParams<T>& p);

}  // namespace spikessm::kernels

#pragma once
// Matrix-vector product for one token: y = bias + W x with W stored transposed (W^T rows
// contiguous), accumulated as a sum of the rows of W^T picked by the non-zero inputs. Binary
// spikes then read only the rows of the neurons that fired (no multiply is wasted on a 0), a
// real input reads every row; either way each output is summed over j in increasing order, so
// the result does not depend on the thread count.
#include <cstdint>
#include <vector>

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

// The same with the active list found here: x (n_in), W^T (n_in, n_out), bias (n_out) or null
// -> y (n_out); active: (n_in) scratch.
template <typename T>
void matvec_cpu(const T* x, int64_t n_in, const T* wt, const T* bias, int64_t n_out,
                int32_t* active, T* y);

// The same product for R input rows that share W, reading W once: a token's K frames.
// W^T is packed once into column panels (matvec_rows_pack) so that the pass over W reads
// contiguous memory. Dense (no active list); each output is summed over j in increasing
// order as matvec_cpu sums it, so a row gives matvec_cpu's result.
template <typename T>
struct MatvecRowsParams {
  int64_t rows = 0, n_in = 0, n_out = 0;
  const T* x = nullptr;       // (rows, n_in)
  const T* panels = nullptr;  // W^T packed by matvec_rows_pack
  T* y = nullptr;             // (rows, n_out) out
};

// W^T (n_in, n_out) -> (ceil(n_out / P), n_in, P) column panels of P = matvec_rows_panel<T>()
// columns, the last one zero-padded.
template <typename T>
int64_t matvec_rows_panel();
template <typename T>
std::vector<T> matvec_rows_pack(const T* wt, int64_t n_in, int64_t n_out);

// x: (rows, n_in) -> y: (rows, n_out). Threads split the panels when there are enough.
template <typename T>
void matvec_rows_cpu(const MatvecRowsParams<T>& p);

}  // namespace spikessm::kernels

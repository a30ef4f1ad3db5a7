// Fused selective linear scan h[t] = beta[t] h[t-1] + u[t]: forward scan and reverse-scan
// backward. Rows (b, channel chunk) run in parallel, time runs sequentially.
#include "vec_util.h"  // first: selects AVX2 for at::vec
// Same rounding as the reference fl(fl(beta h) + u): no FMA contraction.
#pragma GCC optimize("fp-contract=off")

#include "selective_scan_cpu.h"

namespace spikessm::kernels {
namespace {

using namespace vecutil;

// u, beta (B, L, D) [beta (D) when per channel], h0 (B, D) -> h (B, L, D); one row.
template <typename T>
void forward_row(const SelectiveScanParams<T>& p, int64_t b, int64_t d0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T state[kMaxChunk + V] = {};
  if (p.h0 != nullptr) std::copy(p.h0 + b * p.D + d0, p.h0 + b * p.D + d0 + n, state);
  for (int64_t t = 0; t < p.L; ++t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    const T* be = p.beta_per_channel ? p.beta + d0 : p.beta + off;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j);
      const Vec<T> hn = load(be + j, cnt) * Vec<T>::loadu(state + j) + load(p.u + off + j, cnt);
      store(hn, p.h + off + j, cnt);
      hn.store(state + j);
    }
  }
}

// Reverse scan; fut = beta[t+1] G[t+1], the gradient reaching h[t] from step t + 1.
template <typename T>
void backward_row(const SelectiveScanParams<T>& p, int64_t b, int64_t d0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T fut[kMaxChunk + V] = {};
  const Vec<T> zero(T(0));
  const T* h0_row = p.h0 != nullptr ? p.h0 + b * p.D + d0 : nullptr;
  for (int64_t t = p.L - 1; t >= 0; --t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    const T* be = p.beta_per_channel ? p.beta + d0 : p.beta + off;
    const T* hprev = t > 0 ? p.h + off - p.D : h0_row;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j), o = off + j;
      const Vec<T> G = Vec<T>::loadu(fut + j) + load(p.gh + o, cnt);
      const Vec<T> hp = hprev != nullptr ? load(hprev + j, cnt) : zero;
      store(G, p.du + o, cnt);
      store(G * hp, p.dbeta + o, cnt);
      (load(be + j, cnt) * G).store(fut + j);
    }
  }
  if (p.dh0 != nullptr) std::copy(fut, fut + n, p.dh0 + b * p.D + d0);
}

}  // namespace

template <typename T>
void selective_scan_forward_cpu(const SelectiveScanParams<T>& p) {
  if (p.B == 0 || p.L == 0 || p.D == 0) return;
  for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { forward_row(p, b, d0, n); });
}

template <typename T>
void selective_scan_backward_cpu(const SelectiveScanParams<T>& p) {
  if (p.B == 0 || p.D == 0) return;
  if (p.L == 0) {
    if (p.dh0 != nullptr) std::fill(p.dh0, p.dh0 + p.B * p.D, T(0));
    return;
  }
  for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { backward_row(p, b, d0, n); });
}

template void selective_scan_forward_cpu<float>(const SelectiveScanParams<float>&);
template void selective_scan_forward_cpu<double>(const SelectiveScanParams<double>&);
template void selective_scan_backward_cpu<float>(const SelectiveScanParams<float>&);
template void selective_scan_backward_cpu<double>(const SelectiveScanParams<double>&);

}  // namespace spikessm::kernels

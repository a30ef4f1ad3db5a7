#include "ndyn_scan_cpu.h"

#include <ATen/Parallel.h>

#include <vector>

namespace spikessm::kernels {

namespace {

// u: (R, N, D) -> y: (R, N, D); state (R, K, D) if carried. Two k x D buffers per row: the
// state and its update.
template <typename T>
void scan(const NdynScanParams<T>& p) {
  const int64_t N = p.N, D = p.D, K = p.K;
  at::parallel_for(0, p.R, 1, [&](int64_t r0, int64_t r1) {
    std::vector<T> x(size_t(K * D)), nx(size_t(K * D));
    for (int64_t r = r0; r < r1; ++r) {
      T* carried = p.state ? p.state + r * K * D : nullptr;
      if (carried)
        std::copy(carried, carried + K * D, x.begin());
      else
        std::fill(x.begin(), x.end(), T(0));
      const T* u = p.u + r * N * D;
      T* y = p.y + r * N * D;
      for (int64_t n = 0; n < N; ++n) {
        const T* un = u + n * D;
        for (int64_t i = 0; i < K; ++i) {
          const T ai = p.a[i];
          const T bl = i > 0 ? p.beta[i - 1] : T(0);  // coupling to dendrite i - 1
          const T br = i + 1 < K ? p.beta[i] : T(0);  // coupling to dendrite i + 1
          const T* xi = x.data() + i * D;
          const T* xl = i > 0 ? xi - D : xi;  // unused when bl == 0
          const T* xr = i + 1 < K ? xi + D : xi;
          T* o = nx.data() + i * D;
          for (int64_t d = 0; d < D; ++d)
            o[d] = ai * xi[d] + bl * xl[d] + br * xr[d] + p.gamma * un[d];
        }
        std::swap(x, nx);
        T* yn = y + n * D;
        for (int64_t d = 0; d < D; ++d) yn[d] = T(0);
        for (int64_t i = 0; i < K; ++i) {
          const T* ci = p.c + i * D;
          const T* xi = x.data() + i * D;
          for (int64_t d = 0; d < D; ++d) yn[d] += ci[d] * xi[d];
        }
      }
      if (carried) std::copy(x.begin(), x.end(), carried);
    }
  });
}

}  // namespace

void ndyn_scan_cpu(const NdynScanParams<float>& p) { scan(p); }
void ndyn_scan_cpu(const NdynScanParams<double>& p) { scan(p); }

}  // namespace spikessm::kernels

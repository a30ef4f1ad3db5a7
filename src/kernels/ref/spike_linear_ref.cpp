// Reference twins of spike_linear_cpu and spike_linear_weight_grad_cpu: scalar loops that add
// in the kernels' orders (bias, then ascending k; ascending m), so the kernels must match them
// bit for bit.
#include "../cpu/spike_linear_cpu.h"

#include <cmath>
#include <vector>

namespace spikessm::kernels {

namespace ref {
void spike_linear_ref(const SpikeLinearRefParams& p) {
  std::vector<float> z(p.N);
  for (int64_t m = 0; m < p.M; ++m) {
    for (int64_t n = 0; n < p.N; ++n) {
      float acc = p.bias ? p.bias[n] : 0.0f;
      for (int64_t k = 0; k < p.K; ++k)
        if (p.s[m * p.K + k] != 0.0f) acc += p.wt[k * p.N + n];
      z[n] = acc;
    }
    if (!p.glu) {
      for (int64_t n = 0; n < p.N; ++n) p.out[m * p.N + n] = z[n];
    } else {
      const int64_t H = p.N / 2;
      for (int64_t n = 0; n < H; ++n) p.out[m * H + n] = z[n] / (1.0f + std::exp(-z[H + n]));
    }
  }
}

void spike_linear_weight_grad_ref(int64_t M, int64_t K, int64_t N, const float* s, const float* g,
                                  float* dwt) {
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int64_t m = 0; m < M; ++m)
        if (s[m * K + k] != 0.0f) acc += g[m * N + n];
      dwt[k * N + n] = acc;
    }
}
}  // namespace ref

}  // namespace spikessm::kernels

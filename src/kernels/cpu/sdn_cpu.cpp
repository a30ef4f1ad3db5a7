#include "sdn_cpu.h"

#include <cstring>
#include <vector>

#include <ATen/Parallel.h>

namespace spikessm::kernels {
namespace {

constexpr int V = 8;  // time steps per vector (AVX2 floats)
typedef float vf __attribute__((vector_size(V * sizeof(float))));

inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof(v));  // unaligned: the 8 windows are shifted by one float each
  return v;
}
inline vf splat(float a) { return vf{a, a, a, a, a, a, a, a}; }
inline vf relu(vf a) { return a > 0 ? a : vf{}; }

// One row. buf holds 8 zeros, then the row, then zeros up to a multiple of V: buf[t + k] is
// x[t - 8 + k], so output t reads buf[t .. t + 7] (the 8 previous inputs).
void row(const SdnParams& p, const float* buf, float* out, float* tail) {
  const int64_t L = p.L;
  for (int64_t t = 0; t < L; t += V) {
    vf win[8];
    for (int k = 0; k < 8; ++k) win[k] = load(buf + t + k);
    vf h1[8];
    for (int c = 0; c < 8; ++c) {
      vf a = splat(p.b1[c]);
      for (int k = 0; k < 8; ++k) a += splat(p.w1[c * 8 + k]) * win[k];
      h1[c] = relu(a);
    }
    vf m = splat(p.b3);
    for (int c = 0; c < 8; ++c) {
      vf a = splat(p.b2[c]) + h1[c];
      for (int j = 0; j < 8; ++j) a += splat(p.w2[c * 8 + j]) * h1[j];
      m += splat(p.w3[c]) * relu(a);
    }
    if (t + V <= L) {
      std::memcpy(out + t, &m, sizeof(m));
    } else {
      std::memcpy(tail, &m, sizeof(m));
      std::memcpy(out + t, tail, sizeof(float) * (L - t));
    }
  }
}

}  // namespace

void sdn_forward_cpu(const SdnParams& p) {
  const int64_t padded = 8 + (p.L + V - 1) / V * V + V;
  at::parallel_for(0, p.R, 1, [&](int64_t r0, int64_t r1) {
    std::vector<float> buf(padded, 0.f);  // zeros around the row stay zero
    float tail[V];
    for (int64_t r = r0; r < r1; ++r) {
      std::memcpy(buf.data() + 8, p.x + r * p.L, sizeof(float) * p.L);
      row(p, buf.data(), p.m + r * p.L, tail);
    }
  });
}

}  // namespace spikessm::kernels

// Bit-packed, event-driven spike x weight product (see spike_linear_cpu.h).
// Same CPU_CAPABILITY handling as lif_cpu.cpp: Debian's headers pick at::vec's AVX2 code
// only with CPU_CAPABILITY_AVX2 defined.
#if !defined(CPU_CAPABILITY) && defined(__AVX2__) && defined(__FMA__) && __has_include(<sleef.h>)
#define CPU_CAPABILITY AVX2
#define CPU_CAPABILITY_AVX2
#endif
#include "spike_linear_cpu.h"

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace spikessm::kernels {
namespace {

using Vec = at::vec::Vectorized<float>;
constexpr int64_t V = Vec::size();
// Outputs per pass over a row's active list: 8 accumulators stay in registers.
constexpr int64_t kTile = 8;

inline uint64_t pack_word(const float* s, int64_t n) {
  uint64_t w = 0;
#if defined(__AVX2__)
  if (n == 64) {
    const __m256 zero = _mm256_setzero_ps();
    for (int j = 0; j < 8; ++j) {
      const __m256 x = _mm256_loadu_ps(s + 8 * j);
      const uint64_t m = uint64_t(_mm256_movemask_ps(_mm256_cmp_ps(x, zero, _CMP_NEQ_UQ)));
      w |= m << (8 * j);
    }
    return w;
  }
#endif
  for (int64_t j = 0; j < n; ++j) w |= uint64_t(s[j] != 0.0f) << j;
  return w;
}

// One tile of T vectors (T * V outputs starting at column c) for one row.
template <int T>
inline void accumulate_tile(const uint64_t* row_bits, int64_t W, const float* wt, int64_t N,
                            const float* bias, int64_t c, float* out) {
  Vec acc[T];
  for (int t = 0; t < T; ++t) acc[t] = bias ? Vec::loadu(bias + c + t * V) : Vec(0.0f);
  for (int64_t w = 0; w < W; ++w) {
    for (uint64_t bits = row_bits[w]; bits; bits &= bits - 1) {
      const int64_t k = w * 64 + __builtin_ctzll(bits);
      const float* r = wt + k * N + c;
      for (int t = 0; t < T; ++t) acc[t] = acc[t] + Vec::loadu(r + t * V);
    }
  }
  for (int t = 0; t < T; ++t) acc[t].store(out + c + t * V);
}

}  // namespace

int64_t spike_pack_cpu(const SpikePackParams& p) {
  const int64_t W = spike_words(p.K);
  std::atomic<int64_t> total{0};
  at::parallel_for(0, p.M, 256, [&](int64_t m0, int64_t m1) {
    int64_t count = 0;
    for (int64_t m = m0; m < m1; ++m) {
      const float* s = p.s + m * p.ld_s;
      uint64_t* b = p.bits + m * W;
      for (int64_t w = 0; w < W; ++w) {
        b[w] = pack_word(s + 64 * w, std::min<int64_t>(64, p.K - 64 * w));
        count += __builtin_popcountll(b[w]);
      }
    }
    total += count;
  });
  return total.load();
}

// bits: (M, W), wt: (K, N) -> out: (M, N)
// Rows go in blocks, and each block sweeps one output tile at a time, so the tile's strip of
// wt (K x 64 floats) stays in L2 while the block's rows reuse it; per-element order is still
// bias, then ascending k.
void spike_linear_cpu(const SpikeLinearParams& p) {
  const int64_t W = spike_words(p.K), N = p.N;
  constexpr int64_t kRowBlock = 32;
  at::parallel_for(0, p.M, kRowBlock, [&](int64_t m0, int64_t m1) {
    for (int64_t mb = m0; mb < m1; mb += kRowBlock) {
      const int64_t me = std::min(mb + kRowBlock, m1);
      int64_t c = 0;
      for (; c + kTile * V <= N; c += kTile * V)
        for (int64_t m = mb; m < me; ++m) accumulate_tile<kTile>(p.bits + m * W, W, p.wt, N, p.bias, c, p.out + m * N);
      for (; c + V <= N; c += V)
        for (int64_t m = mb; m < me; ++m) accumulate_tile<1>(p.bits + m * W, W, p.wt, N, p.bias, c, p.out + m * N);
      for (; c < N; ++c)  // scalar tail, same order
        for (int64_t m = mb; m < me; ++m) {
          const uint64_t* rb = p.bits + m * W;
          float acc = p.bias ? p.bias[c] : 0.0f;
          for (int64_t w = 0; w < W; ++w)
            for (uint64_t bits = rb[w]; bits; bits &= bits - 1)
              acc += p.wt[(w * 64 + __builtin_ctzll(bits)) * N + c];
          p.out[m * N + c] = acc;
        }
    }
  });
}

}  // namespace spikessm::kernels

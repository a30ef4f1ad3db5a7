// Bit-packed, event-driven spike x weight product (see spike_linear_cpu.h).
// Same CPU_CAPABILITY handling as lif_cpu.cpp: Debian's headers pick at::vec's AVX2 code
// only with CPU_CAPABILITY_AVX2 defined.
#if !defined(CPU_CAPABILITY) && defined(__AVX2__) && defined(__FMA__) && __has_include(<sleef.h>)
#define CPU_CAPABILITY AVX2
#define CPU_CAPABILITY_AVX2
#endif
#include "spike_linear_cpu.h"
#include "vec_util.h"

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

// One tile of T vectors of GLU outputs for one row: columns [c, c + T V) of the first half
// (the value) and the same columns of the second half (the gate) accumulate in one pass over
// the active list, then out = value * sigmoid(gate).
template <int T>
inline void accumulate_glu_tile(const uint64_t* row_bits, int64_t W, const float* wt, int64_t N,
                                const float* bias, int64_t c, float* out) {
  const int64_t H = N / 2;
  Vec val[T], gate[T];
  for (int t = 0; t < T; ++t) {
    val[t] = bias ? Vec::loadu(bias + c + t * V) : Vec(0.0f);
    gate[t] = bias ? Vec::loadu(bias + H + c + t * V) : Vec(0.0f);
  }
  for (int64_t w = 0; w < W; ++w) {
    for (uint64_t bits = row_bits[w]; bits; bits &= bits - 1) {
      const float* r = wt + (w * 64 + __builtin_ctzll(bits)) * N + c;
      for (int t = 0; t < T; ++t) {
        val[t] = val[t] + Vec::loadu(r + t * V);
        gate[t] = gate[t] + Vec::loadu(r + H + t * V);
      }
    }
  }
  const Vec one(1.0f);
  for (int t = 0; t < T; ++t)
    (val[t] * (one / (one + vecutil::vec_exp(Vec(0.0f) - gate[t])))).store(out + c + t * V);
}

// Scalar tail of either kind, same order.
inline void accumulate_scalar(const uint64_t* row_bits, int64_t W, const float* wt, int64_t N,
                              const float* bias, int64_t c, bool glu, float* out) {
  auto sum = [&](int64_t col) {
    float acc = bias ? bias[col] : 0.0f;
    for (int64_t w = 0; w < W; ++w)
      for (uint64_t bits = row_bits[w]; bits; bits &= bits - 1)
        acc += wt[(w * 64 + __builtin_ctzll(bits)) * N + col];
    return acc;
  };
  out[c] = glu ? sum(c) / (1.0f + std::exp(-sum(N / 2 + c))) : sum(c);
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

// bits: (M, W), wt: (K, N) -> out: (M, N), or (M, N/2) with glu
// Rows go in blocks, and each block sweeps one output tile at a time, so the tile's strip of
// wt (K x 64 floats) stays in L2 while the block's rows reuse it; per-element order is still
// bias, then ascending k.
void spike_linear_cpu(const SpikeLinearParams& p) {
  const int64_t W = spike_words(p.K), N = p.N;
  const int64_t n_out = p.glu ? N / 2 : N;  // columns of out
  constexpr int64_t kRowBlock = 32;
  at::parallel_for(0, p.M, kRowBlock, [&](int64_t m0, int64_t m1) {
    for (int64_t mb = m0; mb < m1; mb += kRowBlock) {
      const int64_t me = std::min(mb + kRowBlock, m1);
      auto rows = [&](auto tile, int64_t c) {
        for (int64_t m = mb; m < me; ++m)
          tile(p.bits + m * W, W, p.wt, N, p.bias, c, p.out + m * n_out);
      };
      int64_t c = 0;
      if (p.glu) {  // half the tile width: value and gate each hold kTile / 2 accumulators
        for (; c + kTile / 2 * V <= n_out; c += kTile / 2 * V)
          rows(accumulate_glu_tile<kTile / 2>, c);
        for (; c + V <= n_out; c += V) rows(accumulate_glu_tile<1>, c);
      } else {
        for (; c + kTile * V <= n_out; c += kTile * V) rows(accumulate_tile<kTile>, c);
        for (; c + V <= n_out; c += V) rows(accumulate_tile<1>, c);
      }
      for (; c < n_out; ++c)
        for (int64_t m = mb; m < me; ++m)
          accumulate_scalar(p.bits + m * W, W, p.wt, N, p.bias, c, p.glu, p.out + m * n_out);
    }
  });
}

// Threads own blocks of 8 inputs k; each walks every row and adds g[m] to dwt[k] for its
// active k, vectorised over the N outputs (dwt's K x N floats stay in L1/L2).
void spike_linear_weight_grad_cpu(const SpikeLinearGradParams& p) {
  const int64_t W = spike_words(p.K), N = p.N;
  constexpr int64_t kInputs = 8;
  at::parallel_for(0, (p.K + kInputs - 1) / kInputs, 1, [&](int64_t b0, int64_t b1) {
    const int64_t k0 = b0 * kInputs, k1 = std::min(p.K, b1 * kInputs);
    std::memset(p.dwt + k0 * N, 0, size_t((k1 - k0) * N) * sizeof(float));
    for (int64_t w = k0 / 64; w <= (k1 - 1) / 64; ++w) {
      // The bits of word w that fall in [k0, k1).
      const int64_t lo = std::max<int64_t>(k0 - 64 * w, 0), hi = std::min<int64_t>(k1 - 64 * w, 64);
      const uint64_t mask =
          (hi == 64 ? ~uint64_t(0) : (uint64_t(1) << hi) - 1) & ~((uint64_t(1) << lo) - 1);
      for (int64_t m = 0; m < p.M; ++m) {
        const float* g = p.g + m * N;
        for (uint64_t bits = p.bits[m * W + w] & mask; bits; bits &= bits - 1) {
          float* d = p.dwt + (w * 64 + __builtin_ctzll(bits)) * N;
          int64_t c = 0;
          for (; c + V <= N; c += V) (Vec::loadu(d + c) + Vec::loadu(g + c)).store(d + c);
          for (; c < N; ++c) d[c] += g[c];
        }
      }
    }
  });
}

}  // namespace spikessm::kernels

#pragma once
// Shared pieces of the fused neuron kernels: the AVX2 switch for at::vec, masked loads,
// the vectorised surrogate slopes and the parallel loop over (batch x channel-chunk) rows.
// Include this first in a kernel file (it must see CPU_CAPABILITY before ATen's vec.h).
//
// Debian's libtorch headers carry the AVX2 specialisation of at::vec::Vectorized but pick it
// only when CPU_CAPABILITY_AVX2 is defined (see lif_cpu.cpp for why this matters: ~10x).
#if !defined(CPU_CAPABILITY) && defined(__AVX2__) && defined(__FMA__) && __has_include(<sleef.h>)
#define CPU_CAPABILITY AVX2
#define CPU_CAPABILITY_AVX2
#endif

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "spikessm/common/surrogate.h"

namespace spikessm::kernels::vecutil {

template <typename T>
using Vec = at::vec::Vectorized<T>;

// Channels per task: the carried state (a few values per channel) stays in L1.
constexpr int64_t kMaxChunk = 1024;

// Splits D so that B * chunks gives each thread a few rows, but keeps each time step's slice
// at least a few cache lines long so the strided walk over time still streams.
template <typename T>
int64_t chunk_size(int64_t B, int64_t D) {
  constexpr int64_t V = Vec<T>::size();
  const int64_t want_rows = 4 * static_cast<int64_t>(at::get_num_threads());
  const int64_t n_split = std::max<int64_t>(1, (want_rows + B - 1) / B);
  int64_t c = std::max<int64_t>((D + n_split - 1) / n_split, 8 * V);
  c = (c + V - 1) / V * V;
  return std::min({c, kMaxChunk, D});
}

// Runs row_fn(b, d0, n) over all (batch x channel-chunk) rows in parallel.
template <typename T, typename F>
void for_each_row(int64_t B, int64_t D, const F& row_fn) {
  const int64_t chunk = chunk_size<T>(B, D);
  const int64_t n_chunks = (D + chunk - 1) / chunk;
  at::parallel_for(0, B * n_chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t d0 = (r % n_chunks) * chunk;
      row_fn(r / n_chunks, d0, std::min(chunk, D - d0));
    }
  });
}

// Load / store cnt lanes; the full-width case is the hot one.
template <typename T>
inline Vec<T> load(const T* p, int64_t cnt) {
  return cnt == Vec<T>::size() ? Vec<T>::loadu(p) : Vec<T>::loadu(p, cnt);
}
template <typename T>
inline void store(const Vec<T>& v, T* p, int64_t cnt) {
  v.store(p, static_cast<int>(cnt));
}

// The reverse walk over time loses the hardware prefetchers: ask ~4 KiB ahead ourselves.
template <typename T>
int64_t prefetch_steps(int64_t n) {
  return std::clamp<int64_t>(4096 / (n * int64_t(sizeof(T))), 2, 64);
}
template <typename T>
inline void prefetch_slice(const T* p, int64_t n) {
  constexpr int64_t kLine = 64 / sizeof(T);
  for (int64_t j = 0; j < n; j += kLine) __builtin_prefetch(p + j);
}

// exp of every lane. Vectorized::exp would need libsleef at link time, and std::exp lane by
// lane cost ~10 ns an element (it dominated the selective PLIF backward), so float lanes on
// AVX2 use Cody-Waite range reduction x = n ln2 + r and Cephes' degree-6 polynomial for
// exp(r) (relative error ~2e-7), with 2^n built in the exponent bits; inputs are clamped to
// [-87.3, 88.3], where exp stays a normal float.
template <typename T>
inline Vec<T> vec_exp(const Vec<T>& x) {
#if defined(CPU_CAPABILITY_AVX2)
  if constexpr (std::is_same_v<T, float>) {
    const __m256 xc =
        _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(-2.12194440e-4f)));
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    for (float c :
         {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f})
      y = _mm256_add_ps(_mm256_mul_ps(y, r), _mm256_set1_ps(c));
    y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(y, r), r), r), _mm256_set1_ps(1.f));
    const __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return Vec<T>(_mm256_mul_ps(y, _mm256_castsi256_ps(e)));
  }
#endif
  __at_align__ T e[Vec<T>::size()];
  x.store(e);
  for (int i = 0; i < Vec<T>::size(); ++i) e[i] = std::exp(e[i]);
  return Vec<T>::loadu(e);
}

// ds/dh of the surrogate K at h (the spike is H(h)); the formulas of surrogate.h.
template <Surrogate K, typename T>
struct SurrogateVec {
  Vec<T> one{T(1)}, zero{T(0)};
  Vec<T> alpha, half_alpha, atan_scale, neg_alpha, half_width;
  explicit SurrogateVec(T a)
      : alpha(a),
        half_alpha(a * T(0.5)),
        atan_scale(T(1.5707963267948966) * a),
        neg_alpha(-a),
        half_width(T(0.5) / a) {}
  Vec<T> operator()(const Vec<T>& h) const {
    if constexpr (K == Surrogate::Triangle) {
      return at::vec::clamp_min(one - h.abs(), zero);
    } else if constexpr (K == Surrogate::Atan) {
      const Vec<T> z = h * atan_scale;
      return half_alpha / (one + z * z);
    } else if constexpr (K == Surrogate::Rectangle) {
      return Vec<T>::blendv(zero, alpha, h.abs() < half_width);
    } else if constexpr (K == Surrogate::FastSigmoid) {
      const Vec<T> d = one + alpha * h.abs();
      return one / (d * d);
    } else {
      const Vec<T> sig = one / (one + vec_exp(h * neg_alpha));
      return alpha * sig * (one - sig);
    }
  }
};

// Calls f(std::integral_constant<Surrogate, K>{}) with the surrogate as a compile-time constant.
template <typename F>
decltype(auto) dispatch_surrogate(Surrogate kind, F&& f) {
  using S = Surrogate;
  switch (kind) {
    case S::Triangle:
      return f(std::integral_constant<S, S::Triangle>{});
    case S::Sigmoid:
      return f(std::integral_constant<S, S::Sigmoid>{});
    case S::Atan:
      return f(std::integral_constant<S, S::Atan>{});
    case S::Rectangle:
      return f(std::integral_constant<S, S::Rectangle>{});
    case S::FastSigmoid:
      return f(std::integral_constant<S, S::FastSigmoid>{});
  }
  return f(std::integral_constant<S, S::Triangle>{});
}

}  // namespace spikessm::kernels::vecutil

// Fused multi-step LIF: forward scan and reverse-scan backward (papers.md 1.1-1.2).
//
// Debian's libtorch headers carry the AVX2 specialisation of at::vec::Vectorized but pick it
// only when CPU_CAPABILITY_AVX2 is defined (PyTorch's own build defines it per kernel file).
// Without it Vectorized is a generic array that GCC 12 compiles into half-width loads and
// store-forwarding stalls: forward + backward ran ~10x slower that way on our machine. The
// AVX2 headers include <sleef.h> (Debian: libsleef-dev); we call nothing that needs libsleef
// at link time, and fall back to the generic code, loudly, without it.
#if !defined(CPU_CAPABILITY) && defined(__AVX2__) && defined(__FMA__) && __has_include(<sleef.h>)
#define CPU_CAPABILITY AVX2
#define CPU_CAPABILITY_AVX2
#endif
#if defined(__AVX2__) && !defined(CPU_CAPABILITY_AVX2)
#warning "lif_cpu.cpp: generic at::vec (no <sleef.h>: install libsleef-dev), ~10x slower"
#endif
// The reference computes u' = fl(fl(tau * u) + x) with two ATen ops. Contracting that into one
// FMA would round differently and flip spikes that sit within an ulp of the threshold, and
// spikes must be bit-equal, so no contraction in this file (it is memory bound anyway).
#pragma GCC optimize("fp-contract=off")

#include "lif_cpu.h"
#include "vec_util.h"

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

namespace spikessm::kernels {
namespace {

// Shared with the other neuron kernels (vec_util.h).
using vecutil::chunk_size;
using vecutil::kMaxChunk;
using vecutil::load;
using vecutil::Vec;

// Outputs larger than the caches go out with non-temporal stores: they skip the read for
// ownership, which makes a read-1-write-2 stream like the forward ~2x faster on this machine.
// They need 32-byte aligned addresses, so only when every row start is aligned.
constexpr int64_t kStreamBytes = int64_t(8) << 20;

template <typename T>
bool use_stream(int64_t numel, int64_t D, std::initializer_list<const T*> outs) {
#if defined(CPU_CAPABILITY_AVX2)
  if (numel * int64_t(sizeof(T)) < kStreamBytes || D % Vec<T>::size() != 0) return false;
  for (const T* p : outs)
    if (p != nullptr && reinterpret_cast<uintptr_t>(p) % 32 != 0) return false;
  return true;
#else
  return false;
#endif
}

// Store cnt lanes at p.
template <typename T>
inline void store(const Vec<T>& v, T* p, int64_t cnt, bool stream) {
#if defined(CPU_CAPABILITY_AVX2)
  if (stream && cnt == Vec<T>::size()) {
    if constexpr (std::is_same_v<T, float>) {
      _mm256_stream_ps(p, v);
    } else {
      _mm256_stream_pd(p, v);
    }
    return;
  }
#endif
  v.store(p, static_cast<int>(cnt));
}

// Non-temporal stores are weakly ordered: fence before another thread may read them.
inline void stream_fence() {
#if defined(CPU_CAPABILITY_AVX2)
  _mm_sfence();
#endif
}

// The reverse walk over time loses the hardware prefetchers (the backward ran ~1.6x slower
// without asking ahead ourselves): vec_util's look-ahead.
using vecutil::prefetch_slice;
using vecutil::prefetch_steps;

// ds/du' as a function of h = u' - v_th: the shared vectorised surrogate slopes.
using vecutil::SurrogateVec;

// One row: batch b, channels [d0, d0 + n). Time outer so each step reads one contiguous slice.
// x: (B, L, D) -> s: (B, L, D), u_pre: (B, L, D)
template <typename T, bool kHard, bool kSave>
void forward_row(const LifForwardParams<T>& p, int64_t b, int64_t d0, int64_t n, bool nt) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T u[kMaxChunk + V] = {};  // membrane after reset, carried across time
  T* carried = p.v != nullptr ? p.v + b * p.D + d0 : nullptr;
  if (carried != nullptr) std::copy(carried, carried + n, u);
  const Vec<T> tau(static_cast<T>(p.opt.tau)), v_th(static_cast<T>(p.opt.v_th));
  const Vec<T> zero(T(0)), one(T(1));
  for (int64_t t = 0; t < p.L; ++t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    const T* x = p.x + off;
    T* s = p.s + off;
    T* up_out = kSave ? p.u_pre + off : nullptr;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j);
      const Vec<T> up = Vec<T>::loadu(u + j) * tau + load(x + j, cnt);  // u' = tau u + x
      const Vec<T> h = up - v_th;
      const Vec<T> fired = h >= zero;  // lane mask, H(0) = 1
      store(Vec<T>::blendv(zero, one, fired), s + j, cnt, nt);
      if constexpr (kSave) store(up, up_out + j, cnt, nt);
      // hard: u = u'(1 - s) = 0 where fired; soft: u = u' - v_th = h where fired.
      Vec<T>::blendv(up, kHard ? zero : h, fired).store(u + j);
    }
  }
  if (carried != nullptr) std::copy(u, u + n, carried);
}

// Reverse scan. carry = dL/du_t arriving from step t + 1 (BPTT only):
//   dL/du'_t = g_t sg_t + carry * du_t/du'_t,  dx_t = dL/du'_t,  carry <- tau dL/du'_t.
// SLTT detaches the leak, so dx_t = g_t sg_t and the reset never matters.
// grad_s: (B, L, D), u_pre: (B, L, D) -> dx: (B, L, D)
template <typename T, Surrogate K, bool kBptt, bool kHard, bool kDetach>
void backward_row(const LifBackwardParams<T>& p, int64_t b, int64_t d0, int64_t n, bool nt) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T carry[kMaxChunk + V] = {};
  const SurrogateVec<K, T> sg_of(static_cast<T>(p.opt.alpha));
  const Vec<T> tau(static_cast<T>(p.opt.tau)), v_th(static_cast<T>(p.opt.v_th));
  const Vec<T> zero(T(0)), one(T(1));
  const int64_t ahead = prefetch_steps<T>(n);
  for (int64_t t = p.L - 1; t >= 0; --t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    const T* g_in = p.grad_s + off;
    const T* up_in = p.u_pre + off;
    T* dx = p.dx + off;
    if (t >= ahead) {
      prefetch_slice(g_in - ahead * p.D, n);
      prefetch_slice(up_in - ahead * p.D, n);
    }
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j);
      const Vec<T> up = load(up_in + j, cnt);
      const Vec<T> h = up - v_th;
      const Vec<T> sg = sg_of(h);
      const Vec<T> g_sg = load(g_in + j, cnt) * sg;
      if constexpr (!kBptt) {
        store(g_sg, dx + j, cnt, nt);
      } else {
        Vec<T> du_dup;  // du_t / du'_t
        if constexpr (kHard) {
          du_dup = Vec<T>::blendv(one, zero, h >= zero);      // 1 - s
          if constexpr (!kDetach) du_dup = du_dup - up * sg;  // - u' ds/du'
        } else {
          du_dup = kDetach ? one : one - v_th * sg;  // 1 - v_th ds/du'
        }
        const Vec<T> dup = g_sg + Vec<T>::loadu(carry + j) * du_dup;
        store(dup, dx + j, cnt, nt);
        (dup * tau).store(carry + j);
      }
    }
  }
}

// vecutil::for_each_row, plus a fence after each task so its non-temporal stores are
// visible before the op returns.
template <typename T, typename F>
void for_each_row(int64_t B, int64_t D, const F& row_fn) {
  const int64_t chunk = chunk_size<T>(B, D);
  const int64_t n_chunks = (D + chunk - 1) / chunk;
  at::parallel_for(0, B * n_chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t d0 = (r % n_chunks) * chunk;
      row_fn(r / n_chunks, d0, std::min(chunk, D - d0));
    }
    stream_fence();
  });
}

template <typename T, Surrogate K>
void backward_dispatch(const LifBackwardParams<T>& p) {
  const auto& o = p.opt;
  const bool nt = use_stream<T>(p.B * p.L * p.D, p.D, {p.dx});
  auto run = [&](auto row) {
    for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { row(p, b, d0, n, nt); });
  };
  if (!o.bptt) {
    run(backward_row<T, K, false, true, true>);
  } else if (o.hard_reset && o.detach_reset) {
    run(backward_row<T, K, true, true, true>);
  } else if (o.hard_reset) {
    run(backward_row<T, K, true, true, false>);
  } else if (o.detach_reset) {
    run(backward_row<T, K, true, false, true>);
  } else {
    run(backward_row<T, K, true, false, false>);
  }
}

}  // namespace

template <typename T>
void lif_forward_cpu(const LifForwardParams<T>& p) {
  if (p.B == 0 || p.L == 0 || p.D == 0) return;
  const bool nt = use_stream<T>(p.B * p.L * p.D, p.D, {p.s, p.u_pre});
  auto run = [&](auto row) {
    for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { row(p, b, d0, n, nt); });
  };
  const bool save = p.u_pre != nullptr;
  if (p.opt.hard_reset) {
    save ? run(forward_row<T, true, true>) : run(forward_row<T, true, false>);
  } else {
    save ? run(forward_row<T, false, true>) : run(forward_row<T, false, false>);
  }
}

template <typename T>
void lif_backward_cpu(const LifBackwardParams<T>& p) {
  if (p.B == 0 || p.L == 0 || p.D == 0) return;
  switch (p.opt.surrogate) {
    case Surrogate::Triangle:
      return backward_dispatch<T, Surrogate::Triangle>(p);
    case Surrogate::Sigmoid:
      return backward_dispatch<T, Surrogate::Sigmoid>(p);
    case Surrogate::Atan:
      return backward_dispatch<T, Surrogate::Atan>(p);
    case Surrogate::Rectangle:
      return backward_dispatch<T, Surrogate::Rectangle>(p);
    case Surrogate::FastSigmoid:
      return backward_dispatch<T, Surrogate::FastSigmoid>(p);
  }
}

template void lif_forward_cpu<float>(const LifForwardParams<float>&);
template void lif_forward_cpu<double>(const LifForwardParams<double>&);
template void lif_backward_cpu<float>(const LifBackwardParams<float>&);
template void lif_backward_cpu<double>(const LifBackwardParams<double>&);

}  // namespace spikessm::kernels

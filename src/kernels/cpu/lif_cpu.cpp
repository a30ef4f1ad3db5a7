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
#include <vector>

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

// The input current the neuron sees: x, or x * scale (one rounding, as the unfused product).
template <typename T, bool kScale>
inline Vec<T> current(const T* x, const T* scale, int64_t cnt) {
  if constexpr (kScale) {
    return load(x, cnt) * load(scale, cnt);
  } else {
    return load(x, cnt);
  }
}

// One step of the membrane over n channels: u (after reset, in/out) and x -> u' = tau u + x.
// Returns u'; fills s (when non-null) and u' (when non-null).
template <typename T, bool kHard, bool kScale>
inline void step(T* u, const T* x, const T* scale, int64_t n, T* s, T* up_out, bool nt,
                 const Vec<T>& tau, const Vec<T>& v_th) {
  constexpr int64_t V = Vec<T>::size();
  const Vec<T> zero(T(0)), one(T(1));
  for (int64_t j = 0; j < n; j += V) {
    const int64_t cnt = std::min(V, n - j);
    const Vec<T> up = Vec<T>::loadu(u + j) * tau + current<T, kScale>(x + j, scale + j, cnt);
    const Vec<T> h = up - v_th;
    const Vec<T> fired = h >= zero;  // lane mask, H(0) = 1
    if (s != nullptr) store(Vec<T>::blendv(zero, one, fired), s + j, cnt, nt);
    if (up_out != nullptr) store(up, up_out + j, cnt, nt);
    // hard: u = u'(1 - s) = 0 where fired; soft: u = u' - v_th = h where fired.
    Vec<T>::blendv(up, kHard ? zero : h, fired).store(u + j);
  }
}

// One row: batch b, channels [d0, d0 + n). Time outer so each step reads one contiguous slice.
// x: (B, L, D) -> s: (B, L, D), u_pre: (B, L, D), ckpt: (B, lif_checkpoints(L), D)
template <typename T, bool kHard, bool kScale>
void forward_row(const LifForwardParams<T>& p, int64_t b, int64_t d0, int64_t n, bool nt) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T u[kMaxChunk + V] = {};  // membrane after reset, carried across time
  T* carried = p.v != nullptr ? p.v + b * p.D + d0 : nullptr;
  if (carried != nullptr) std::copy(carried, carried + n, u);
  const Vec<T> tau(static_cast<T>(p.opt.tau)), v_th(static_cast<T>(p.opt.v_th));
  const T* scale = kScale ? p.scale + d0 : nullptr;
  const int64_t n_ckpt = lif_checkpoints(p.L);
  for (int64_t t = 0; t < p.L; ++t) {
    if (p.ckpt != nullptr && t % kLifBlock == 0)
      std::copy(u, u + n, p.ckpt + (b * n_ckpt + t / kLifBlock) * p.D + d0);
    const int64_t off = (b * p.L + t) * p.D + d0;
    step<T, kHard, kScale>(u, p.x + off, scale, n, p.s + off,
                           p.u_pre != nullptr ? p.u_pre + off : nullptr, nt, tau, v_th);
  }
  if (carried != nullptr) std::copy(u, u + n, carried);
}

// Reverse scan, one block of kLifBlock steps at a time: replay the block forward from its
// checkpoint into buf (u' of every step, cache-resident), then walk it backwards.
// carry = dL/du_t arriving from step t + 1 (BPTT only):
//   dL/du'_t = g_t sg_t + carry * du_t/du'_t,  dy_t = dL/du'_t,  carry <- tau dL/du'_t.
// SLTT detaches the leak, so dy_t = g_t sg_t and the reset never matters.
// With a scale the input was y = x * scale: dx = dy * scale, dscale term = dy * x.
// grad_s, x: (B, L, D), ckpt: (B, lif_checkpoints(L), D) -> dx, dscale: (B, L, D)
template <typename T, Surrogate K, bool kBptt, bool kHard, bool kDetach, bool kScale>
void backward_row(const LifBackwardParams<T>& p, int64_t b, int64_t d0, int64_t n, bool nt) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T carry[kMaxChunk + V] = {};
  __at_align__ T u[kMaxChunk + V] = {};
  std::vector<T> buf(kLifBlock * n);  // (kLifBlock, n) u' of the block being walked
  const SurrogateVec<K, T> sg_of(static_cast<T>(p.opt.alpha));
  const Vec<T> tau(static_cast<T>(p.opt.tau)), v_th(static_cast<T>(p.opt.v_th));
  const Vec<T> zero(T(0)), one(T(1));
  const T* scale = kScale ? p.scale + d0 : nullptr;
  const int64_t ahead = prefetch_steps<T>(n), n_ckpt = lif_checkpoints(p.L);
  for (int64_t k = n_ckpt - 1; k >= 0; --k) {
    const int64_t t0 = k * kLifBlock, t1 = std::min(p.L, t0 + kLifBlock);
    const T* c = p.ckpt + (b * n_ckpt + k) * p.D + d0;
    std::copy(c, c + n, u);
    for (int64_t t = t0; t < t1; ++t)
      step<T, kHard, kScale>(u, p.x + (b * p.L + t) * p.D + d0, scale, n, nullptr,
                             buf.data() + (t - t0) * n, false, tau, v_th);
    for (int64_t t = t1 - 1; t >= t0; --t) {
      const int64_t off = (b * p.L + t) * p.D + d0;
      const T* g_in = p.grad_s + off;
      const T* x_in = p.x + off;
      const T* up_in = buf.data() + (t - t0) * n;
      if (t >= ahead) prefetch_slice(g_in - ahead * p.D, n);
      if (t >= kLifBlock) prefetch_slice(x_in - kLifBlock * p.D, n);  // the next replay
      for (int64_t j = 0; j < n; j += V) {
        const int64_t cnt = std::min(V, n - j);
        const Vec<T> up = Vec<T>::loadu(up_in + j);
        const Vec<T> h = up - v_th;
        const Vec<T> sg = sg_of(h);
        const Vec<T> g_sg = load(g_in + j, cnt) * sg;
        Vec<T> dy = g_sg;
        if constexpr (kBptt) {
          Vec<T> du_dup;  // du_t / du'_t
          if constexpr (kHard) {
            du_dup = Vec<T>::blendv(one, zero, h >= zero);      // 1 - s
            if constexpr (!kDetach) du_dup = du_dup - up * sg;  // - u' ds/du'
          } else {
            du_dup = kDetach ? one : one - v_th * sg;  // 1 - v_th ds/du'
          }
          dy = g_sg + Vec<T>::loadu(carry + j) * du_dup;
          (dy * tau).store(carry + j);
        }
        if constexpr (kScale) {
          store(dy * load(scale + j, cnt), p.dx + off + j, cnt, nt);
          if (p.dscale != nullptr) store(dy * load(x_in + j, cnt), p.dscale + off + j, cnt, nt);
        } else {
          store(dy, p.dx + off + j, cnt, nt);
        }
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

template <typename T, Surrogate K, bool kScale>
void backward_dispatch(const LifBackwardParams<T>& p) {
  const auto& o = p.opt;
  const bool nt = use_stream<T>(p.B * p.L * p.D, p.D, {p.dx, p.dscale});
  auto run = [&](auto row) {
    for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { row(p, b, d0, n, nt); });
  };
  // SLTT's gradient ignores the reset, but the replay of u' must reset as the forward did.
  if (!o.bptt) {
    o.hard_reset ? run(backward_row<T, K, false, true, true, kScale>)
                 : run(backward_row<T, K, false, false, true, kScale>);
  } else if (o.hard_reset && o.detach_reset) {
    run(backward_row<T, K, true, true, true, kScale>);
  } else if (o.hard_reset) {
    run(backward_row<T, K, true, true, false, kScale>);
  } else if (o.detach_reset) {
    run(backward_row<T, K, true, false, true, kScale>);
  } else {
    run(backward_row<T, K, true, false, false, kScale>);
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
  const bool scale = p.scale != nullptr;
  if (p.opt.hard_reset) {
    scale ? run(forward_row<T, true, true>) : run(forward_row<T, true, false>);
  } else {
    scale ? run(forward_row<T, false, true>) : run(forward_row<T, false, false>);
  }
}

template <typename T>
void lif_backward_cpu(const LifBackwardParams<T>& p) {
  if (p.B == 0 || p.L == 0 || p.D == 0) return;
  vecutil::dispatch_surrogate(p.opt.surrogate, [&](auto k) {
    p.scale != nullptr ? backward_dispatch<T, decltype(k)::value, true>(p)
                       : backward_dispatch<T, decltype(k)::value, false>(p);
  });
}

template void lif_forward_cpu<float>(const LifForwardParams<float>&);
template void lif_forward_cpu<double>(const LifForwardParams<double>&);
template void lif_backward_cpu<float>(const LifBackwardParams<float>&);
template void lif_backward_cpu<double>(const LifBackwardParams<double>&);

}  // namespace spikessm::kernels

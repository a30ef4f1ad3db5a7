// The diagonal-SSM scan over one block of channels, in GCC vector extensions. Included once
// per instruction set, each time inside its own namespace DIAG_SSM_NS, by diag_ssm_cpu.cpp
// (the build's ISA) and diag_ssm_avx512.cpp (AVX-512, chosen at run time on CPUs that have
// it). Everything here has internal linkage and uses no std:: template: a copy compiled for
// AVX-512 can never be merged into, and then run by, the other ISA's code.
//
// Each lane is one channel h, and every lane does the same arithmetic in the same order
// whatever the vector width, so both copies give bit-identical results.
#include "diag_ssm_cpu.h"

#ifndef DIAG_SSM_NS
#error "define DIAG_SSM_NS before including diag_ssm_lanes.h"
#endif

namespace spikessm::kernels::DIAG_SSM_NS {
namespace {

// Bytes per GCC vector: a zmm register where AVX-512 is compiled in, else 8 lanes (one ymm
// for float, two for double under AVX2).
template <typename T>
constexpr int64_t kBytes =
#if defined(__AVX512F__)
    64;
#else
    8 * int64_t(sizeof(T));
#endif
template <typename T>
constexpr int64_t kLanes = kBytes<T> / int64_t(sizeof(T));

template <typename T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(kBytes<float>)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(kBytes<double>)));
};
template <typename T>
using vec = typename VecOf<T>::type;

inline int64_t lanes_at(int64_t H, int64_t h0, int64_t lanes) {
  return H - h0 < lanes ? H - h0 : lanes;
}

// One direction's scan order: t runs from `first` by `step`; step t reads x[t + shift].
struct Direction {
  int64_t first, step, shift;
};
inline Direction direction(int64_t c, int64_t L) {
  return c == 0 ? Direction{0, 1, 0} : Direction{L - 1, -1, 1};
}

// src[0:nv] -> v, zero beyond nv. A full row is one unaligned load. (An out-parameter: a
// returned 64-byte vector would change the ABI of the copy built without AVX-512.)
template <typename T>
void load_row(const T* src, int64_t nv, vec<T>& v) {
  v = vec<T>{};
  if (nv == kLanes<T>) {
    __builtin_memcpy(&v, src, sizeof v);
  } else {
    for (int64_t j = 0; j < nv; ++j) v[j] = src[j];
  }
}

// Lanes 0..nv-1 of v -> dst[0:nv].
template <typename T>
void store_row(const vec<T>& v, int64_t nv, T* dst) {
  if (nv == kLanes<T>) {
    __builtin_memcpy(dst, &v, sizeof v);
  } else {
    for (int64_t j = 0; j < nv; ++j) dst[j] = v[j];
  }
}

// x[b, :, h0:h0+nv] -> dst: (L + 1) zero-padded lane vectors; row L is the zero input that the
// anti-causal direction reads at its first step.
template <typename T>
void gather(const T* src, int64_t L, int64_t H, int64_t h0, int64_t nv, vec<T>* dst) {
  for (int64_t t = 0; t < L; ++t) load_row(src + t * H + h0, nv, dst[t]);
  dst[L] = vec<T>{};
}

// Mode m of a (H, M, 2) complex array for channels h0..h0+nv (zero beyond: inert lanes).
template <typename T>
void load_mode(const T* a, int64_t M, int64_t h0, int64_t nv, int64_t m, vec<T>& re, vec<T>& im) {
  re = vec<T>{};
  im = vec<T>{};
  for (int64_t j = 0; j < nv; ++j) {
    re[j] = a[((h0 + j) * M + m) * 2];
    im[j] = a[((h0 + j) * M + m) * 2 + 1];
  }
}

// The scans of MB modes are interleaved so their recurrences form independent dependency
// chains, which is what keeps the FMA units busy instead of waiting on one mode's latency.
// st: sample b's causal mode states (H, M, 2) carried across chunks, or null (zero start).
template <typename T, int MB>
void forward_modes(const DiagSsmParams<T>& p, int64_t c, int64_t m0, int64_t h0, int64_t nv,
                   const vec<T>* x, vec<T>* y, T* st) {
  const Direction dir = direction(c, p.L);
  vec<T> zr[MB], zi[MB], wr[MB], wi[MB], sr[MB], si[MB];
  for (int k = 0; k < MB; ++k) {
    load_mode(p.z, p.M, h0, nv, m0 + k, zr[k], zi[k]);
    load_mode(p.w + c * p.H * p.M * 2, p.M, h0, nv, m0 + k, wr[k], wi[k]);
    sr[k] = si[k] = vec<T>{};
    if (st != nullptr) load_mode(st, p.M, h0, nv, m0 + k, sr[k], si[k]);
  }
  const vec<T>* xp = x + dir.shift;
  for (int64_t n = 0, t = dir.first; n < p.L; ++n, t += dir.step) {
    const vec<T> xv = xp[t];
    vec<T> acc = y[t];
    for (int k = 0; k < MB; ++k) {
      const vec<T> nr = zr[k] * sr[k] - zi[k] * si[k] + wr[k] * xv;
      const vec<T> ni = zr[k] * si[k] + zi[k] * sr[k] + wi[k] * xv;
      sr[k] = nr;
      si[k] = ni;
      acc += nr;
    }
    y[t] = acc;
  }
  if (st != nullptr)
    for (int k = 0; k < MB; ++k)
      for (int64_t j = 0; j < nv; ++j) {
        st[((h0 + j) * p.M + m0 + k) * 2] = sr[k][j];
        st[((h0 + j) * p.M + m0 + k) * 2 + 1] = si[k][j];
      }
}

template <typename T, int MB>
void backward_modes(const DiagSsmParams<T>& p, int64_t c, int64_t m0, int64_t h0, int64_t nv,
                    const vec<T>* x, const vec<T>* g, vec<T>* dx, T* dw_out, T* dz_out) {
  const Direction dir = direction(c, p.L);
  vec<T> zr[MB], zi[MB], wr[MB], wi[MB], mr[MB], mi[MB], vr[MB], vi[MB], gr[MB], gi[MB], sr[MB],
      si[MB];
  for (int k = 0; k < MB; ++k) {
    load_mode(p.z, p.M, h0, nv, m0 + k, zr[k], zi[k]);
    load_mode(p.w + c * p.H * p.M * 2, p.M, h0, nv, m0 + k, wr[k], wi[k]);
    mr[k] = mi[k] = vr[k] = vi[k] = gr[k] = gi[k] = sr[k] = si[k] = vec<T>{};
  }
  const vec<T>* xp = x + dir.shift;
  vec<T>* dxp = dx + dir.shift;
  // Reverse of the forward order. mu_t = 2 g_t + conj(z) mu_{t+1} (= dL/ds_t);
  // nu_t = mu_{t+1} + conj(z) nu_{t+1}; dw = sum mu_t x_t; dz = conj(w) sum nu_t x_t.
  for (int64_t n = 0, t = dir.first + (p.L - 1) * dir.step; n < p.L; ++n, t -= dir.step) {
    const vec<T> xv = xp[t], g2 = g[t] + g[t];
    vec<T> dxv = dxp[t];
    for (int k = 0; k < MB; ++k) {
      const vec<T> nvr = mr[k] + zr[k] * vr[k] + zi[k] * vi[k];
      const vec<T> nvi = mi[k] + zr[k] * vi[k] - zi[k] * vr[k];
      const vec<T> nmr = g2 + zr[k] * mr[k] + zi[k] * mi[k];
      const vec<T> nmi = zr[k] * mi[k] - zi[k] * mr[k];
      vr[k] = nvr, vi[k] = nvi, mr[k] = nmr, mi[k] = nmi;
      gr[k] += nmr * xv;
      gi[k] += nmi * xv;
      sr[k] += nvr * xv;
      si[k] += nvi * xv;
      dxv += nmr * wr[k] + nmi * wi[k];
    }
    dxp[t] = dxv;
  }
  for (int k = 0; k < MB; ++k)
    for (int64_t j = 0; j < nv; ++j) {
      const int64_t hm = ((h0 + j) * p.M + m0 + k) * 2;
      dw_out[hm] = gr[k][j];
      dw_out[hm + 1] = gi[k][j];
      dz_out[hm] += wr[k][j] * sr[k][j] + wi[k][j] * si[k][j];  // conj(w) * s
      dz_out[hm + 1] += wr[k][j] * si[k][j] - wi[k][j] * sr[k][j];
    }
}

template <int MB>
struct Block {
  static constexpr int value = MB;
};

// Calls fn(Block<MB>, m0) over the modes in blocks of 4, then 2, then 1.
template <typename F>
void over_mode_blocks(int64_t M, F&& fn) {
  int64_t m = 0;
  for (; m + 4 <= M; m += 4) fn(Block<4>{}, m);
  for (; m + 2 <= M; m += 2) fn(Block<2>{}, m);
  for (; m < M; ++m) fn(Block<1>{}, m);
}

template <typename T>
vec<T>* rows(unsigned char* scratch, int64_t L, int which) {
  return reinterpret_cast<vec<T>*>(scratch) + which * (L + 1);
}

// Sample b, channels [h0, h0 + lanes): the forward scan of every mode and direction.
template <typename T>
void forward_task(const DiagSsmParams<T>& p, int64_t b, int64_t h0, unsigned char* scratch) {
  const int64_t nv = lanes_at(p.H, h0, kLanes<T>);
  vec<T>*x = rows<T>(scratch, p.L, 0), *y = rows<T>(scratch, p.L, 1);
  gather(p.u + b * p.L * p.H, p.L, p.H, h0, nv, x);
  for (int64_t t = 0; t < p.L; ++t) y[t] = vec<T>{};
  T* st = p.state != nullptr ? p.state + b * p.H * p.M * 2 : nullptr;
  for (int64_t c = 0; c < p.C; ++c)
    over_mode_blocks(p.M, [&](auto mb, int64_t m0) {
      forward_modes<T, decltype(mb)::value>(p, c, m0, h0, nv, x, y, c == 0 ? st : nullptr);
    });
  T* out = p.y + b * p.L * p.H;
  vec<T> d;
  load_row(p.d + h0, nv, d);
  for (int64_t t = 0; t < p.L; ++t) store_row(T(2) * y[t] + d * x[t], nv, out + t * p.H + h0);
}

// Sample b, channels [h0, h0 + lanes): du, and the sample's partial dw (C, H, M, 2),
// dz (H, M, 2) and dd (H), which the caller reduces over samples in a fixed order.
template <typename T>
void backward_task(const DiagSsmParams<T>& p, int64_t b, int64_t h0, T* dw, T* dz, T* dd,
                   unsigned char* scratch) {
  const int64_t nv = lanes_at(p.H, h0, kLanes<T>);
  vec<T>*x = rows<T>(scratch, p.L, 0), *g = rows<T>(scratch, p.L, 1),
  *dx = rows<T>(scratch, p.L, 2);
  gather(p.u + b * p.L * p.H, p.L, p.H, h0, nv, x);
  gather(p.gy + b * p.L * p.H, p.L, p.H, h0, nv, g);
  for (int64_t t = 0; t <= p.L; ++t) dx[t] = vec<T>{};
  for (int64_t c = 0; c < p.C; ++c) {
    T* dwc = dw + c * p.H * p.M * 2;
    over_mode_blocks(p.M, [&](auto mb, int64_t m0) {
      constexpr int MB = decltype(mb)::value;
      // Two modes at a time: twelve live vectors each already fill the register file.
      if constexpr (MB == 4) {
        backward_modes<T, 2>(p, c, m0, h0, nv, x, g, dx, dwc, dz);
        backward_modes<T, 2>(p, c, m0 + 2, h0, nv, x, g, dx, dwc, dz);
      } else {
        backward_modes<T, MB>(p, c, m0, h0, nv, x, g, dx, dwc, dz);
      }
    });
  }
  T* du = p.du + b * p.L * p.H;
  vec<T> d, ddv;
  load_row(p.d + h0, nv, d);
  load_row(dd + h0, nv, ddv);
  for (int64_t t = 0; t < p.L; ++t) {
    store_row(dx[t] + d * g[t], nv, du + t * p.H + h0);
    ddv += g[t] * x[t];
  }
  store_row(ddv, nv, dd + h0);
}

}  // namespace

// This instruction set's entry points (diag_ssm_cpu.h).
template <typename T>
DiagSsmLanes<T> lanes() {
  return {kLanes<T>, kBytes<T>, &forward_task<T>, &backward_task<T>};
}
template DiagSsmLanes<float> lanes<float>();
template DiagSsmLanes<double> lanes<double>();

}  // namespace spikessm::kernels::DIAG_SSM_NS

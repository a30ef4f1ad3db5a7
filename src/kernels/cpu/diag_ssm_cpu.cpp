#include "diag_ssm_cpu.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace spikessm::kernels {
namespace {

// V channels travel together in one GCC vector (a 256-bit register for float); the scans
// of MB modes are interleaved so their recurrences form independent dependency chains,
// which is what keeps the FMA units busy instead of waiting on one mode's latency.
constexpr int V = 8;
template <typename T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(V * sizeof(float))));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(V * sizeof(double))));
};
template <typename T>
using vec = typename VecOf<T>::type;

// One direction's scan order: t runs from `first` by `step`; step t reads x[t + shift].
struct Direction {
  int64_t first, step, shift;
};
inline Direction direction(int64_t c, int64_t L) {
  return c == 0 ? Direction{0, 1, 0} : Direction{L - 1, -1, 1};
}

// x[b, :, h0:h0+nv] -> (L + 1) zero-padded lane vectors; row L is the zero input that the
// anti-causal direction reads at its first step.
template <typename T>
void gather(const T* src, int64_t L, int64_t H, int64_t h0, int64_t nv, std::vector<vec<T>>& dst) {
  dst.assign(size_t(L + 1), vec<T>{});
  for (int64_t t = 0; t < L; ++t)
    for (int64_t j = 0; j < nv; ++j) dst[size_t(t)][j] = src[t * H + h0 + j];
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

// st: sample b's causal mode states (H, M, 2) carried across chunks, or null (zero start).
template <typename T, int MB>
void forward_modes(const DiagSsmParams<T>& p, int64_t c, int64_t m0, int64_t h0, int64_t nv,
                   const std::vector<vec<T>>& x, std::vector<vec<T>>& y, T* st) {
  const Direction dir = direction(c, p.L);
  vec<T> zr[MB], zi[MB], wr[MB], wi[MB], sr[MB], si[MB];
  for (int k = 0; k < MB; ++k) {
    load_mode(p.z, p.M, h0, nv, m0 + k, zr[k], zi[k]);
    load_mode(p.w + c * p.H * p.M * 2, p.M, h0, nv, m0 + k, wr[k], wi[k]);
    sr[k] = si[k] = vec<T>{};
    if (st != nullptr) load_mode(st, p.M, h0, nv, m0 + k, sr[k], si[k]);
  }
  const vec<T>* xp = x.data() + dir.shift;
  vec<T>* yp = y.data();
  for (int64_t n = 0, t = dir.first; n < p.L; ++n, t += dir.step) {
    const vec<T> xv = xp[t];
    vec<T> acc = yp[t];
    for (int k = 0; k < MB; ++k) {
      const vec<T> nr = zr[k] * sr[k] - zi[k] * si[k] + wr[k] * xv;
      const vec<T> ni = zr[k] * si[k] + zi[k] * sr[k] + wi[k] * xv;
      sr[k] = nr;
      si[k] = ni;
      acc += nr;
    }
    yp[t] = acc;
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
                    const std::vector<vec<T>>& x, const std::vector<vec<T>>& g,
                    std::vector<vec<T>>& dx, T* dw_out, T* dz_out) {
  const Direction dir = direction(c, p.L);
  vec<T> zr[MB], zi[MB], wr[MB], wi[MB], mr[MB], mi[MB], vr[MB], vi[MB], gr[MB], gi[MB], sr[MB],
      si[MB];
  for (int k = 0; k < MB; ++k) {
    load_mode(p.z, p.M, h0, nv, m0 + k, zr[k], zi[k]);
    load_mode(p.w + c * p.H * p.M * 2, p.M, h0, nv, m0 + k, wr[k], wi[k]);
    mr[k] = mi[k] = vr[k] = vi[k] = gr[k] = gi[k] = sr[k] = si[k] = vec<T>{};
  }
  const vec<T>* xp = x.data() + dir.shift;
  vec<T>* dxp = dx.data() + dir.shift;
  // Reverse of the forward order. mu_t = 2 g_t + conj(z) mu_{t+1} (= dL/ds_t);
  // nu_t = mu_{t+1} + conj(z) nu_{t+1}; dw = sum mu_t x_t; dz = conj(w) sum nu_t x_t.
  for (int64_t n = 0, t = dir.first + (p.L - 1) * dir.step; n < p.L; ++n, t -= dir.step) {
    const vec<T> xv = xp[t], g2 = g[size_t(t)] + g[size_t(t)];
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
using Block = std::integral_constant<int, MB>;

// Calls fn(Block<MB>, m0) over the modes in blocks of 4, then 2, then 1.
template <typename F>
void over_mode_blocks(int64_t M, F&& fn) {
  int64_t m = 0;
  for (; m + 4 <= M; m += 4) fn(Block<4>{}, m);
  for (; m + 2 <= M; m += 2) fn(Block<2>{}, m);
  for (; m < M; ++m) fn(Block<1>{}, m);
}

}  // namespace

template <typename T>
void diag_ssm_forward_cpu(const DiagSsmParams<T>& p) {
  const int64_t blocks = (p.H + V - 1) / V;
  at::parallel_for(0, p.B * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<vec<T>> x, y;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / blocks, h0 = (task % blocks) * V,
                    nv = std::min<int64_t>(V, p.H - h0);
      gather(p.u + b * p.L * p.H, p.L, p.H, h0, nv, x);
      y.assign(size_t(p.L), vec<T>{});
      T* st = p.state != nullptr ? p.state + b * p.H * p.M * 2 : nullptr;
      for (int64_t c = 0; c < p.C; ++c)
        over_mode_blocks(p.M, [&](auto mb, int64_t m0) {
          forward_modes<T, decltype(mb)::value>(p, c, m0, h0, nv, x, y, c == 0 ? st : nullptr);
        });
      T* out = p.y + b * p.L * p.H;
      for (int64_t t = 0; t < p.L; ++t)
        for (int64_t j = 0; j < nv; ++j)
          out[t * p.H + h0 + j] = T(2) * y[size_t(t)][j] + p.d[h0 + j] * x[size_t(t)][j];
    }
  });
}

template <typename T>
void diag_ssm_backward_cpu(const DiagSsmParams<T>& p) {
  const int64_t blocks = (p.H + V - 1) / V;
  const int64_t nw = p.C * p.H * p.M * 2, nz = p.H * p.M * 2;
  // Per-sample partial parameter gradients, reduced in a fixed order afterwards.
  std::vector<T> dw_part(size_t(p.B * nw), T(0)), dz_part(size_t(p.B * nz), T(0));
  std::vector<T> dd_part(size_t(p.B * p.H), T(0));
  at::parallel_for(0, p.B * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<vec<T>> x, g, dx;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t b = task / blocks, h0 = (task % blocks) * V,
                    nv = std::min<int64_t>(V, p.H - h0);
      gather(p.u + b * p.L * p.H, p.L, p.H, h0, nv, x);
      gather(p.gy + b * p.L * p.H, p.L, p.H, h0, nv, g);
      dx.assign(size_t(p.L + 1), vec<T>{});
      for (int64_t c = 0; c < p.C; ++c) {
        T* dw = &dw_part[size_t(b * nw + c * p.H * p.M * 2)];
        T* dz = &dz_part[size_t(b * nz)];
        over_mode_blocks(p.M, [&](auto mb, int64_t m0) {
          constexpr int MB = decltype(mb)::value;
          // Two modes at a time: twelve live vectors each already fill the register file.
          if constexpr (MB == 4) {
            backward_modes<T, 2>(p, c, m0, h0, nv, x, g, dx, dw, dz);
            backward_modes<T, 2>(p, c, m0 + 2, h0, nv, x, g, dx, dw, dz);
          } else {
            backward_modes<T, MB>(p, c, m0, h0, nv, x, g, dx, dw, dz);
          }
        });
      }
      T* du = p.du + b * p.L * p.H;
      const T* gy = p.gy + b * p.L * p.H;
      T* dd = &dd_part[size_t(b * p.H)];
      for (int64_t t = 0; t < p.L; ++t)
        for (int64_t j = 0; j < nv; ++j) {
          const int64_t i = t * p.H + h0 + j;
          du[i] = dx[size_t(t)][j] + p.d[h0 + j] * gy[i];
          dd[h0 + j] += gy[i] * x[size_t(t)][j];
        }
    }
  });
  std::fill(p.dw, p.dw + nw, T(0));
  std::fill(p.dz, p.dz + nz, T(0));
  std::fill(p.dd, p.dd + p.H, T(0));
  for (int64_t b = 0; b < p.B; ++b) {
    for (int64_t i = 0; i < nw; ++i) p.dw[i] += dw_part[size_t(b * nw + i)];
    for (int64_t i = 0; i < nz; ++i) p.dz[i] += dz_part[size_t(b * nz + i)];
    for (int64_t i = 0; i < p.H; ++i) p.dd[i] += dd_part[size_t(b * p.H + i)];
  }
}

template void diag_ssm_forward_cpu<float>(const DiagSsmParams<float>&);
template void diag_ssm_forward_cpu<double>(const DiagSsmParams<double>&);
template void diag_ssm_backward_cpu<float>(const DiagSsmParams<float>&);
template void diag_ssm_backward_cpu<double>(const DiagSsmParams<double>&);

}  // namespace spikessm::kernels

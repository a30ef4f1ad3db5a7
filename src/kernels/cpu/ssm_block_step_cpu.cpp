#include "vec_util.h"  // first: it picks at::vec's AVX2 path
// (ssm_block_step_cpu.h after it)
#include "ssm_block_step_cpu.h"

#include "matvec_cpu.h"

namespace spikessm::kernels {
namespace {

using vecutil::Vec;

// Channels [h0, h1): the S4D step; y: (H) out (2 Re sum_m c s + d u).
template <typename T>
void s4d_channels(const SsmBlockStepParams<T>& p, int64_t h0, int64_t h1, T* y) {
  constexpr int64_t V = Vec<T>::size();
  const int64_t M = p.M;
  for (int64_t h = h0; h < h1; ++h) {
    const int64_t o = h * 2 * M;
    const T* zr = p.z + o;
    const T* zi = zr + M;
    const T* wr = p.w + o;
    const T* wi = wr + M;
    T* sr = p.s + o;
    T* si = sr + M;
    const Vec<T> uv(p.u[h]);
    Vec<T> acc(T(0));
    for (int64_t m = 0; m < M; m += V) {
      const int64_t n = std::min(V, M - m);
      const Vec<T> zrv = vecutil::load(zr + m, n), ziv = vecutil::load(zi + m, n);
      const Vec<T> srv = vecutil::load(sr + m, n), siv = vecutil::load(si + m, n);
      const Vec<T> nr = zrv * srv - ziv * siv + vecutil::load(wr + m, n) * uv;
      const Vec<T> ni = zrv * siv + ziv * srv + vecutil::load(wi + m, n) * uv;
      vecutil::store(nr, sr + m, n);
      vecutil::store(ni, si + m, n);
      if (p.c != nullptr)  // Re(c s) = c_re s_re - c_im s_im; the masked lanes load c = 0
        acc = acc + vecutil::load(p.c + o + m, n) * nr - vecutil::load(p.c + o + M + m, n) * ni;
      else
        acc = acc + nr;
    }
    __at_align__ T lanes[V];
    acc.store(lanes);
    T sum = T(0);
    for (int64_t k = 0; k < V; ++k) sum += lanes[k];
    y[h] = T(2) * sum + p.d[h] * p.u[h];
  }
}

// The LIF step with the arithmetic of the fused kernel and of lif_step (two roundings in
// u' = tau u + x, no contraction), so spikes agree bit for bit in either precision.
template <typename T>
__attribute__((noinline, optimize("fp-contract=off"))) void lif_channels(
    const SsmBlockStepParams<T>& p, int64_t h0, int64_t h1, const T* y) {
  for (int64_t h = h0; h < h1; ++h) {
    const T x = y[h] * p.inv_vth[h];
    const T up = p.v[h] * p.tau + x;
    const T s = up >= p.v_th ? T(1) : T(0);
    p.v[h] = p.hard_reset ? up * (T(1) - s) : up - s * p.v_th;
    p.a[h] = s;
  }
}

template <typename T>
void gelu_channels(const SsmBlockStepParams<T>& p, int64_t h0, int64_t h1, const T* y) {
  for (int64_t h = h0; h < h1; ++h)
    p.a[h] = y[h] * T(0.5) * (T(1) + std::erf(y[h] * T(M_SQRT1_2)));  // torch's exact GELU
}

// x += m[:H] sigmoid(m[H:]) over [0, H).
template <typename T>
void glu_residual(const T* m, int64_t H, T* x) {
  constexpr int64_t V = Vec<T>::size();
  const Vec<T> one(T(1));
  for (int64_t h = 0; h < H; h += V) {
    const int64_t n = std::min(V, H - h);
    const Vec<T> g = one / (one + vecutil::vec_exp(vecutil::load(m + H + h, n).neg()));
    vecutil::store(vecutil::load(x + h, n) + vecutil::load(m + h, n) * g, x + h, n);
  }
}

}  // namespace

template <typename T>
void channel_norm_cpu(const ChannelNormParams<T>& p, int64_t H, const T* x, T* y) {
  if (p.kind == StepNorm::None) {
    if (y != x) std::copy(x, x + H, y);
  } else if (p.kind == StepNorm::Affine) {
    for (int64_t h = 0; h < H; ++h) y[h] = x[h] * p.w[h] + p.b[h];
  } else if (p.kind == StepNorm::Rms) {
    // y = gamma x / sqrt(mean(x^2) + eps); the mean of squares in double, as LayerNorm's.
    double ms = 0;
    for (int64_t h = 0; h < H; ++h) ms += double(x[h]) * double(x[h]);
    const T r = T(1.0 / std::sqrt(ms / double(H) + double(p.eps)));
    for (int64_t h = 0; h < H; ++h) y[h] = x[h] * r * p.w[h];
  } else {
    // Two passes in double: H values, and the mean and variance then round once.
    double mean = 0, var = 0;
    for (int64_t h = 0; h < H; ++h) mean += double(x[h]);
    mean /= double(H);
    for (int64_t h = 0; h < H; ++h) var += (double(x[h]) - mean) * (double(x[h]) - mean);
    const double rstd = 1.0 / std::sqrt(var / double(H) + double(p.eps));
    for (int64_t h = 0; h < H; ++h) y[h] = T((double(x[h]) - mean) * rstd) * p.w[h] + p.b[h];
  }
}

template <typename T>
void ssm_block_step_cpu(const SsmBlockStepParams<T>& p) {
  const int64_t H = p.H;
  channel_norm_cpu(p.prenorm ? p.norm : ChannelNormParams<T>{}, H, p.x, p.u);
  // S4D and soma over channel ranges; y reuses the membrane-free scratch m (n_mix >= H).
  T* y = p.m;
  // Channels a thread: at least 64, and ~64k mode updates, since waking a sleeping pool
  // thread costs more than a small model's whole step (see matvec_cpu.cpp).
  const int64_t channels = std::max<int64_t>(64, (int64_t(1) << 16) / std::max<int64_t>(1, p.M));
  at::parallel_for(0, H, channels, [&](int64_t h0, int64_t h1) {
    s4d_channels(p, h0, h1, y);
    if (p.spiking)
      lif_channels(p, h0, h1, y);
    else
      gelu_channels(p, h0, h1, y);
  });
  matvec_cpu(p.a, H, p.mix_wt, p.mix_b, p.glu ? 2 * H : H, p.active, p.m);
  if (p.glu) {
    glu_residual(p.m, H, p.x);
  } else {
    for (int64_t h = 0; h < H; ++h) p.x[h] += p.m[h];
  }
  if (!p.prenorm) channel_norm_cpu(p.norm, H, p.x, p.x);
}

template void channel_norm_cpu<float>(const ChannelNormParams<float>&, int64_t, const float*,
                                      float*);
template void channel_norm_cpu<double>(const ChannelNormParams<double>&, int64_t, const double*,
                                       double*);
template void ssm_block_step_cpu<float>(const SsmBlockStepParams<float>&);
template void ssm_block_step_cpu<double>(const SsmBlockStepParams<double>&);

}  // namespace spikessm::kernels

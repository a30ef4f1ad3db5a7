// Fused selective PLIF (papers.md 3.1): forward scan and reverse-scan backward, per element
// decay/gain/threshold. Rows (b, channel chunk) run in parallel, time runs sequentially.
#include "vec_util.h"  // first: selects AVX2 for at::vec
// The reference computes V_pre = fl(fl(beta v) + fl(gain I)); an FMA would round differently
// and flip spikes that sit within an ulp of the threshold. Spikes must be bit-equal.
#pragma GCC optimize("fp-contract=off")

#include "selective_plif_cpu.h"

namespace spikessm::kernels {
namespace {

using namespace vecutil;

// x: current, beta, gain, v_th (B, L, D), v0 (B, D) -> s, v (B, L, D); one row.
template <typename T>
void forward_row(const SelectivePlifForwardParams<T>& p, int64_t b, int64_t d0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T state[kMaxChunk + V] = {};  // V_post, carried across time
  if (p.v0 != nullptr) std::copy(p.v0 + b * p.D + d0, p.v0 + b * p.D + d0 + n, state);
  const Vec<T> zero(T(0)), one(T(1));
  for (int64_t t = 0; t < p.L; ++t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j), o = off + j;
      const Vec<T> up = load(p.beta + o, cnt) * Vec<T>::loadu(state + j) +
                        load(p.gain + o, cnt) * load(p.current + o, cnt);
      const Vec<T> h = up - load(p.v_th + o, cnt);
      const Vec<T> fired = h >= zero;  // H(0) = 1
      store(Vec<T>::blendv(zero, one, fired), p.s + o, cnt);
      const Vec<T> vn = Vec<T>::blendv(up, h, fired);  // soft reset: V_pre - v_th where fired
      store(vn, p.v + o, cnt);
      vn.store(state + j);
    }
  }
}

// Reverse scan. fut = dL/dV_post[t] arriving from step t + 1 (= beta[t+1] dL/dV_pre[t+1]):
//   G = g_v + fut;  dL/ds = g_s - v_th G (no reset term when detached)
//   dV_pre = G + dL/ds sg;  d v_th = -dL/ds sg - G s
//   dI = gain dV_pre;  d gain = I dV_pre;  d beta = V_post[t-1] dV_pre;  fut <- beta dV_pre
template <typename T, Surrogate K, bool kDetach>
void backward_row(const SelectivePlifBackwardParams<T>& p, int64_t b, int64_t d0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T fut[kMaxChunk + V] = {};
  const SurrogateVec<K, T> sg_of(static_cast<T>(p.opt.surrogate_alpha));
  const Vec<T> zero(T(0));
  const int64_t ahead = prefetch_steps<T>(n);
  const T* v0_row = p.v0 != nullptr ? p.v0 + b * p.D + d0 : nullptr;
  for (int64_t t = p.L - 1; t >= 0; --t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    if (t >= ahead) {
      const int64_t back = off - ahead * p.D;
      for (const T* a : {p.current, p.beta, p.gain, p.v_th, p.v, p.grad_s, p.grad_v})
        if (a != nullptr) prefetch_slice(a + back, n);
    }
    // V_post[t-1]: the saved output one step earlier, or the initial state.
    const T* vprev = t > 0 ? p.v + off - p.D : v0_row;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j), o = off + j;
      const Vec<T> cur = load(p.current + o, cnt), be = load(p.beta + o, cnt);
      const Vec<T> ga = load(p.gain + o, cnt), th = load(p.v_th + o, cnt);
      const Vec<T> vp = vprev != nullptr ? load(vprev + j, cnt) : zero;
      const Vec<T> up = be * vp + ga * cur;  // recomputed bit-exactly as in the forward
      const Vec<T> h = up - th;
      const Vec<T> fired = h >= zero;
      Vec<T> G = Vec<T>::loadu(fut + j);
      if (p.grad_v != nullptr) G = G + load(p.grad_v + o, cnt);
      Vec<T> dlds = p.grad_s != nullptr ? load(p.grad_s + o, cnt) : zero;
      if constexpr (!kDetach) dlds = dlds - th * G;
      const Vec<T> dsg = dlds * sg_of(h);
      const Vec<T> dup = G + dsg;
      store(dup * ga, p.d_current + o, cnt);
      store(dup * cur, p.d_gain + o, cnt);
      store(dup * vp, p.d_beta + o, cnt);
      store(Vec<T>::blendv(zero - dsg, zero - dsg - G, fired), p.d_vth + o, cnt);
      (be * dup).store(fut + j);
    }
  }
  if (p.d_v0 != nullptr) std::copy(fut, fut + n, p.d_v0 + b * p.D + d0);
}

}  // namespace

template <typename T>
void selective_plif_forward_cpu(const SelectivePlifForwardParams<T>& p) {
  if (p.B == 0 || p.L == 0 || p.D == 0) return;
  for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { forward_row(p, b, d0, n); });
}

template <typename T>
void selective_plif_backward_cpu(const SelectivePlifBackwardParams<T>& p) {
  if (p.B == 0 || p.D == 0) return;
  if (p.L == 0) {
    if (p.d_v0 != nullptr) std::fill(p.d_v0, p.d_v0 + p.B * p.D, T(0));
    return;
  }
  dispatch_surrogate(p.opt.surrogate, [&](auto k) {
    constexpr Surrogate K = decltype(k)::value;
    auto run = [&](auto row) {
      for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { row(p, b, d0, n); });
    };
    p.opt.detach_reset ? run(backward_row<T, K, true>) : run(backward_row<T, K, false>);
  });
}

template void selective_plif_forward_cpu<float>(const SelectivePlifForwardParams<float>&);
template void selective_plif_forward_cpu<double>(const SelectivePlifForwardParams<double>&);
template void selective_plif_backward_cpu<float>(const SelectivePlifBackwardParams<float>&);
template void selective_plif_backward_cpu<double>(const SelectivePlifBackwardParams<double>&);

}  // namespace spikessm::kernels

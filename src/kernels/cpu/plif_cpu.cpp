// Fused parametric LIF (per-channel decay and threshold): forward scan and reverse-scan
// backward. Rows (b, channel chunk) run in parallel, time runs sequentially.
#include "vec_util.h"  // first: selects AVX2 for at::vec
// The reference computes V_pre = fl(fl(beta v) + fl((1 - beta) x)); an FMA would round
// differently and flip spikes within an ulp of the threshold. Spikes must be bit-equal.
#pragma GCC optimize("fp-contract=off")

#include "plif_cpu.h"

namespace spikessm::kernels {
namespace {

using namespace vecutil;

// x: (B, L, D), beta, v_th: (D), v0: (B, D) -> s, v: (B, L, D); one row.
template <typename T, bool kHard, bool kDecayInput>
void forward_row(const PlifForwardParams<T>& p, int64_t b, int64_t d0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T state[kMaxChunk + V] = {};  // V_post, carried across time
  if (p.v0 != nullptr) std::copy(p.v0 + b * p.D + d0, p.v0 + b * p.D + d0 + n, state);
  const Vec<T> zero(T(0)), one(T(1));
  for (int64_t t = 0; t < p.L; ++t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j), o = off + j;
      // beta, v_th are per channel: tiny, stay in L1.
      const Vec<T> be = load(p.beta + d0 + j, cnt), x = load(p.x + o, cnt);
      const Vec<T> in = kDecayInput ? (one - be) * x : x;
      const Vec<T> up = be * Vec<T>::loadu(state + j) + in;
      const Vec<T> h = up - load(p.v_th + d0 + j, cnt);
      const Vec<T> fired = h >= zero;  // H(0) = 1
      store(Vec<T>::blendv(zero, one, fired), p.s + o, cnt);
      const Vec<T> vn = Vec<T>::blendv(up, kHard ? zero : h, fired);
      store(vn, p.v + o, cnt);
      vn.store(state + j);
    }
  }
}

// Reverse scan. fut = dL/dV_post[t] arriving from step t + 1 (= beta dL/dV_pre[t+1]):
//   G = g_v + fut;  dL/ds = g_s - G dV_post/ds (hard: V_pre, soft: v_th; 0 when detached)
//   dV_pre = G dV_post/dV_pre (hard: 1 - s, soft: 1) + dL/ds sg
//   d v_th += -dL/ds sg (- G s, soft);  dx = c dV_pre;  d beta += (V_post[t-1] - x) dV_pre
template <typename T, Surrogate K, bool kHard, bool kDecayInput, bool kDetach>
void backward_row(const PlifBackwardParams<T>& p, int64_t b, int64_t d0, int64_t n) {
  constexpr int64_t V = Vec<T>::size();
  __at_align__ T fut[kMaxChunk + V] = {};
  __at_align__ T dbeta[kMaxChunk + V] = {};
  __at_align__ T dvth[kMaxChunk + V] = {};
  const SurrogateVec<K, T> sg_of(static_cast<T>(p.opt.surrogate_alpha));
  const Vec<T> zero(T(0)), one(T(1));
  const int64_t ahead = prefetch_steps<T>(n);
  const T* v0_row = p.v0 != nullptr ? p.v0 + b * p.D + d0 : nullptr;
  for (int64_t t = p.L - 1; t >= 0; --t) {
    const int64_t off = (b * p.L + t) * p.D + d0;
    if (t >= ahead) {
      const int64_t back = off - ahead * p.D;
      for (const T* a : {p.x, p.v, p.grad_s, p.grad_v})
        if (a != nullptr) prefetch_slice(a + back, n);
    }
    const T* vprev = t > 0 ? p.v + off - p.D : v0_row;
    for (int64_t j = 0; j < n; j += V) {
      const int64_t cnt = std::min(V, n - j), o = off + j;
      const Vec<T> be = load(p.beta + d0 + j, cnt), th = load(p.v_th + d0 + j, cnt);
      const Vec<T> x = load(p.x + o, cnt);
      const Vec<T> vp = vprev != nullptr ? load(vprev + j, cnt) : zero;
      const Vec<T> c = kDecayInput ? one - be : one;
      const Vec<T> up = be * vp + (kDecayInput ? c * x : x);  // as in the forward, bit-exact
      const Vec<T> h = up - th;
      const Vec<T> fired = h >= zero;
      Vec<T> G = Vec<T>::loadu(fut + j);
      if (p.grad_v != nullptr) G = G + load(p.grad_v + o, cnt);
      Vec<T> dlds = p.grad_s != nullptr ? load(p.grad_s + o, cnt) : zero;
      if constexpr (!kDetach) dlds = dlds - (kHard ? up : th) * G;
      const Vec<T> dsg = dlds * sg_of(h);
      const Vec<T> dup = (kHard ? Vec<T>::blendv(G, zero, fired) : G) + dsg;
      Vec<T> dth = zero - dsg;
      if constexpr (!kHard) dth = Vec<T>::blendv(dth, dth - G, fired);
      (Vec<T>::loadu(dvth + j) + dth).store(dvth + j);
      (Vec<T>::loadu(dbeta + j) + dup * (kDecayInput ? vp - x : vp)).store(dbeta + j);
      store(dup * c, p.dx + o, cnt);
      (be * dup).store(fut + j);
    }
  }
  const int64_t r = b * p.D + d0;
  std::copy(dbeta, dbeta + n, p.dbeta_rows + r);
  std::copy(dvth, dvth + n, p.dvth_rows + r);
  if (p.d_v0 != nullptr) std::copy(fut, fut + n, p.d_v0 + r);
}

// Runs row<T, flags...> for the runtime flags.
template <typename T, Surrogate K>
void backward_dispatch(const PlifBackwardParams<T>& p) {
  const auto& o = p.opt;
  auto run = [&](auto row) {
    for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { row(p, b, d0, n); });
  };
  auto with_detach = [&](auto hard, auto decay) {
    constexpr bool H = decltype(hard)::value, C = decltype(decay)::value;
    o.detach_reset ? run(backward_row<T, K, H, C, true>) : run(backward_row<T, K, H, C, false>);
  };
  using TT = std::true_type;
  using FF = std::false_type;
  if (o.hard_reset) {
    o.decay_input ? with_detach(TT{}, TT{}) : with_detach(TT{}, FF{});
  } else {
    o.decay_input ? with_detach(FF{}, TT{}) : with_detach(FF{}, FF{});
  }
}

}  // namespace

template <typename T>
void plif_forward_cpu(const PlifForwardParams<T>& p) {
  if (p.B == 0 || p.L == 0 || p.D == 0) return;
  auto run = [&](auto row) {
    for_each_row<T>(p.B, p.D, [&](int64_t b, int64_t d0, int64_t n) { row(p, b, d0, n); });
  };
  if (p.opt.hard_reset) {
    p.opt.decay_input ? run(forward_row<T, true, true>) : run(forward_row<T, true, false>);
  } else {
    p.opt.decay_input ? run(forward_row<T, false, true>) : run(forward_row<T, false, false>);
  }
}

template <typename T>
void plif_backward_cpu(const PlifBackwardParams<T>& p) {
  if (p.B == 0 || p.D == 0) return;
  if (p.L == 0) {
    std::fill(p.dbeta_rows, p.dbeta_rows + p.B * p.D, T(0));
    std::fill(p.dvth_rows, p.dvth_rows + p.B * p.D, T(0));
    if (p.d_v0 != nullptr) std::fill(p.d_v0, p.d_v0 + p.B * p.D, T(0));
    return;
  }
  dispatch_surrogate(p.opt.surrogate, [&](auto k) { backward_dispatch<T, decltype(k)::value>(p); });
}

template void plif_forward_cpu<float>(const PlifForwardParams<float>&);
template void plif_forward_cpu<double>(const PlifForwardParams<double>&);
template void plif_backward_cpu<float>(const PlifBackwardParams<float>&);
template void plif_backward_cpu<double>(const PlifBackwardParams<double>&);

}  // namespace spikessm::kernels

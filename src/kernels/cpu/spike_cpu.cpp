// Fused stateless spikes: Heaviside (Binary S4D) and the ternary spike (GSU). Elementwise,
// vectorised, parallel over contiguous blocks / rows.
#include "vec_util.h"  // first: selects AVX2 for at::vec
#pragma GCC optimize("fp-contract=off")

#include "spike_cpu.h"

namespace spikessm::kernels {
namespace {

using namespace vecutil;

constexpr int64_t kGrain = 1 << 15;  // elements per task: big enough to amortise the pool

// Ter(x) / scale for one vector: H(x - th) - H(-x - th), H(0) = 1.
template <typename T>
inline Vec<T> ternary_unit(const Vec<T>& x, const Vec<T>& th) {
  const Vec<T> zero(T(0)), one(T(1));
  return Vec<T>::blendv(zero, one, (x - th) >= zero) -
         Vec<T>::blendv(zero, one, (zero - x - th) >= zero);
}

template <typename T>
T row_abs_max(const T* x, int64_t D) {
  constexpr int64_t V = Vec<T>::size();
  Vec<T> m(T(0));
  for (int64_t j = 0; j < D; j += V) m = at::vec::maximum(m, load(x + j, std::min(V, D - j)).abs());
  __at_align__ T lanes[V];
  m.store(lanes);
  return *std::max_element(lanes, lanes + V);
}

// q = scale Ter(x) over one row with threshold th.
template <typename T>
void ternary_row(const TernaryParams<T>& p, int64_t r) {
  constexpr int64_t V = Vec<T>::size();
  const T* x = p.x + r * p.D;
  T* q = p.q + r * p.D;
  const Vec<T> th(p.th[r]), scale(p.scale);
  for (int64_t j = 0; j < p.D; j += V) {
    const int64_t cnt = std::min(V, p.D - j);
    store(ternary_unit(load(x + j, cnt), th) * scale, q + j, cnt);
  }
}

template <typename T, Surrogate K>
void ternary_backward_rows(const TernaryParams<T>& p) {
  constexpr int64_t V = Vec<T>::size();
  const SurrogateVec<K, T> sg_of(static_cast<T>(p.surrogate_alpha));
  const Vec<T> zero(T(0)), scale(p.scale);
  at::parallel_for(0, p.R, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, p.D)),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t r = begin; r < end; ++r) {
                       const T* x = p.x + r * p.D;
                       const T* g = p.grad_q + r * p.D;
                       T* dx = p.dx + r * p.D;
                       const Vec<T> th(p.th[r]);
                       Vec<T> acc(T(0));
                       for (int64_t j = 0; j < p.D; j += V) {
                         const int64_t cnt = std::min(V, p.D - j);
                         const Vec<T> xv = load(x + j, cnt), gv = load(g + j, cnt);
                         acc = acc + gv * ternary_unit(xv, th);  // tail lanes load g = 0
                         store(gv * scale * (sg_of(xv - th) + sg_of(zero - xv - th)), dx + j, cnt);
                       }
                       __at_align__ T lanes[V];
                       acc.store(lanes);
                       T sum = 0;
                       for (int64_t i = 0; i < V; ++i) sum += lanes[i];
                       p.dscale_rows[r] = sum;
                     }
                   });
}

template <typename T, Surrogate K>
void heaviside_backward_blocks(const HeavisideParams<T>& p) {
  constexpr int64_t V = Vec<T>::size();
  const SurrogateVec<K, T> sg_of(static_cast<T>(p.surrogate_alpha));
  const Vec<T> v_th(static_cast<T>(p.v_th));
  at::parallel_for(0, p.n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i += V) {
      const int64_t cnt = std::min(V, end - i);
      store(load(p.grad_s + i, cnt) * sg_of(load(p.x + i, cnt) - v_th), p.dx + i, cnt);
    }
  });
}

}  // namespace

template <typename T>
void heaviside_forward_cpu(const HeavisideParams<T>& p) {
  constexpr int64_t V = Vec<T>::size();
  const Vec<T> v_th(static_cast<T>(p.v_th)), zero(T(0)), one(T(1));
  at::parallel_for(0, p.n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i += V) {
      const int64_t cnt = std::min(V, end - i);
      store(Vec<T>::blendv(zero, one, (load(p.x + i, cnt) - v_th) >= zero), p.s + i, cnt);
    }
  });
}

template <typename T>
void heaviside_backward_cpu(const HeavisideParams<T>& p) {
  dispatch_surrogate(p.surrogate,
                     [&](auto k) { heaviside_backward_blocks<T, decltype(k)::value>(p); });
}

template <typename T>
void ternary_forward_cpu(const TernaryParams<T>& p) {
  if (p.R == 0) return;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, p.D));
  const T ratio = static_cast<T>(p.ratio);
  if (p.per_row) {
    at::parallel_for(0, p.R, grain, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        p.th[r] = ratio * row_abs_max(p.x + r * p.D, p.D);
        ternary_row(p, r);
      }
    });
    return;
  }
  at::parallel_for(0, p.R, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) p.th[r] = row_abs_max(p.x + r * p.D, p.D);
  });
  const T th = ratio * *std::max_element(p.th, p.th + p.R);
  std::fill(p.th, p.th + p.R, th);
  at::parallel_for(0, p.R, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) ternary_row(p, r);
  });
}

template <typename T>
void ternary_backward_cpu(const TernaryParams<T>& p) {
  if (p.R == 0) return;
  dispatch_surrogate(p.surrogate, [&](auto k) { ternary_backward_rows<T, decltype(k)::value>(p); });
}

template void heaviside_forward_cpu<float>(const HeavisideParams<float>&);
template void heaviside_forward_cpu<double>(const HeavisideParams<double>&);
template void heaviside_backward_cpu<float>(const HeavisideParams<float>&);
template void heaviside_backward_cpu<double>(const HeavisideParams<double>&);
template void ternary_forward_cpu<float>(const TernaryParams<float>&);
template void ternary_forward_cpu<double>(const TernaryParams<double>&);
template void ternary_backward_cpu<float>(const TernaryParams<float>&);
template void ternary_backward_cpu<double>(const TernaryParams<double>&);

}  // namespace spikessm::kernels

// GLU + residual epilogue (see glu_residual_cpu.h). Each element follows the unfused
// composition's sequence of roundings (a = m + bias; out = x + fl(a sig); da = g sig;
// db = fl(fl(g a)(1 - sig)) sig, as ATen's sigmoid_backward), so no FMA contraction here; only
// sigmoid's exp differs from ATen's (vec_util's, relative error ~2e-7).
#pragma GCC optimize("fp-contract=off")

#include "glu_residual_cpu.h"
#include "vec_util.h"

namespace spikessm::kernels {
namespace {

using vecutil::load;
using vecutil::store;
using vecutil::Vec;

// a, b of row r at channel j (bias added when there is one).
template <typename T>
inline Vec<T> with_bias(const T* m, const T* bias, int64_t j, int64_t cnt) {
  return bias ? load(m + j, cnt) + load(bias + j, cnt) : load(m + j, cnt);
}

// Rows per task: enough work (~32K elements) to amortise a task.
int64_t grain(int64_t H) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(H, 1)); }

}  // namespace

template <typename T>
void glu_residual_forward_cpu(const GluResidualParams<T>& p) {
  constexpr int64_t V = Vec<T>::size();
  const int64_t H = p.H;
  const Vec<T> one(T(1));
  const T* bias_b = p.bias ? p.bias + H : nullptr;
  at::parallel_for(0, p.M, grain(H), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* x = p.x + r * H;
      const T* a = p.m + r * 2 * H;
      T* sig = p.sig + r * H;
      T* out = p.out + r * H;
      for (int64_t j = 0; j < H; j += V) {
        const int64_t cnt = std::min(V, H - j);
        const Vec<T> s = one / (one + vecutil::vec_exp(with_bias(a + H, bias_b, j, cnt).neg()));
        store(s, sig + j, cnt);
        store(load(x + j, cnt) + with_bias(a, p.bias, j, cnt) * s, out + j, cnt);
      }
    }
  });
}

template <typename T>
void glu_residual_backward_cpu(const GluResidualParams<T>& p) {
  constexpr int64_t V = Vec<T>::size();
  const int64_t H = p.H;
  const Vec<T> one(T(1));
  at::parallel_for(0, p.M, grain(H), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* g = p.grad + r * H;
      const T* a = p.m + r * 2 * H;
      const T* sig = p.sig + r * H;
      T* da = p.dm + r * 2 * H;
      T* db = da + H;
      for (int64_t j = 0; j < H; j += V) {
        const int64_t cnt = std::min(V, H - j);
        const Vec<T> gv = load(g + j, cnt), sv = load(sig + j, cnt);
        store(gv * sv, da + j, cnt);
        store(gv * with_bias(a, p.bias, j, cnt) * (one - sv) * sv, db + j, cnt);
      }
    }
  });
}

template void glu_residual_forward_cpu<float>(const GluResidualParams<float>&);
template void glu_residual_forward_cpu<double>(const GluResidualParams<double>&);
template void glu_residual_backward_cpu<float>(const GluResidualParams<float>&);
template void glu_residual_backward_cpu<double>(const GluResidualParams<double>&);

}  // namespace spikessm::kernels

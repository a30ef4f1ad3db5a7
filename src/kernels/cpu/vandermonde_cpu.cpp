#include "vandermonde_cpu.h"

#include <ATen/Parallel.h>

#include <complex>
#include <vector>

namespace spikessm::kernels {

using cd = std::complex<double>;

template <typename T>
void vandermonde_forward_cpu(const VandermondeParams<T>& p) {
  // One (c, h) row per task: sum over modes of a geometric sequence.
  at::parallel_for(0, p.C * p.H, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> acc(size_t(p.L));
    for (int64_t ch = begin; ch < end; ++ch) {
      const int64_t h = ch % p.H;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t m = 0; m < p.M; ++m) {
        const T* w = p.w + (ch * p.M + m) * 2;
        const T* z = p.z + (h * p.M + m) * 2;
        cd pw(w[0], w[1]);
        const cd zz(z[0], z[1]);
        for (int64_t l = 0; l < p.L; ++l) {
          acc[size_t(l)] += pw.real();
          pw *= zz;
        }
      }
      T* k = p.k + ch * p.L;
      for (int64_t l = 0; l < p.L; ++l) k[l] = T(2.0 * acc[size_t(l)]);
    }
  });
}

template <typename T>
void vandermonde_backward_cpu(const VandermondeParams<T>& p) {
  // dK/dw = 2 conj(z^l) and dK/dz = 2 conj(w l z^(l-1)) in PyTorch's (d/dre + i d/dim) form.
  at::parallel_for(0, p.H * p.M, 1, [&](int64_t begin, int64_t end) {
    for (int64_t hm = begin; hm < end; ++hm) {
      const int64_t h = hm / p.M, m = hm % p.M;
      const cd zz(p.z[hm * 2], p.z[hm * 2 + 1]);
      cd gz(0.0, 0.0);
      for (int64_t c = 0; c < p.C; ++c) {
        const T* dk = p.dk + (c * p.H + h) * p.L;
        cd s0(0.0, 0.0), s1(0.0, 0.0), pw(1.0, 0.0), prev(0.0, 0.0);
        for (int64_t l = 0; l < p.L; ++l) {
          const double g = double(dk[l]);
          s0 += g * std::conj(pw);
          s1 += g * double(l) * std::conj(prev);  // l z^(l-1)
          prev = pw;
          pw *= zz;
        }
        const int64_t wi = ((c * p.H + h) * p.M + m) * 2;
        const cd w(p.w[wi], p.w[wi + 1]);
        p.dw[wi] = T(2.0 * s0.real());
        p.dw[wi + 1] = T(2.0 * s0.imag());
        gz += 2.0 * std::conj(w) * s1;
      }
      p.dz[hm * 2] = T(gz.real());
      p.dz[hm * 2 + 1] = T(gz.imag());
    }
  });
}

template void vandermonde_forward_cpu<float>(const VandermondeParams<float>&);
template void vandermonde_forward_cpu<double>(const VandermondeParams<double>&);
template void vandermonde_backward_cpu<float>(const VandermondeParams<float>&);
template void vandermonde_backward_cpu<double>(const VandermondeParams<double>&);

}  // namespace spikessm::kernels

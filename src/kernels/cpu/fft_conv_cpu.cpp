#include "fft_conv_cpu.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <vector>

namespace spikessm::kernels {

int64_t fft_good_size(int64_t min_n) {
  for (int64_t n = std::max<int64_t>(min_n, 1);; ++n) {
    int64_t r = n;
    for (int64_t f : {2, 3, 5})
      while (r % f == 0) r /= f;
    if (r == 1) return n;
  }
}

// Runs fn(b0, nb) over batch slices, one slice per thread.
template <typename F>
static void over_batch(int64_t B, F fn) {
  const int64_t chunks = std::min<int64_t>(B, at::get_num_threads());
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b0 = B * c / chunks, b1 = B * (c + 1) / chunks;
      if (b1 > b0) fn(c, b0, b1 - b0);
    }
  });
}

at::Tensor fft_conv_forward_cpu(const at::Tensor& u, const at::Tensor& kc, const at::Tensor& d,
                                FftConvSaved& saved) {
  const int64_t B = u.size(0), L = u.size(1), H = u.size(2), n = kc.size(1);
  const int64_t F = n / 2 + 1;
  saved.kf = torch::fft::rfft(kc, n, -1).transpose(0, 1).contiguous();  // (F, H)
  saved.uf = at::empty({B, F, H}, saved.kf.options());
  auto y = at::empty_like(u);
  over_batch(B, [&](int64_t, int64_t b0, int64_t nb) {
    auto ub = u.narrow(0, b0, nb);
    auto uf = torch::fft::rfft(ub, n, 1);                                // (nb, F, H)
    saved.uf.narrow(0, b0, nb).copy_(uf);
    auto yb = torch::fft::irfft(uf.mul_(saved.kf), n, 1).narrow(1, 0, L);  // (nb, L, H)
    auto yslice = y.narrow(0, b0, nb);
    at::add_out(yslice, yb, ub * d);
  });
  return y;
}

void fft_conv_backward_cpu(const at::Tensor& gy, const at::Tensor& u, const at::Tensor& d,
                           const FftConvSaved& saved, int64_t n, at::Tensor& du, at::Tensor& dkc,
                           at::Tensor& dd) {
  const int64_t B = gy.size(0), L = gy.size(1);
  const int64_t chunks = std::min<int64_t>(B, at::get_num_threads());
  du = at::empty_like(gy);
  // Per-thread partial sums over the batch, reduced afterwards (deterministic order).
  std::vector<at::Tensor> dkf_part(static_cast<size_t>(chunks)), dd_part(static_cast<size_t>(chunks));
  auto kf_conj = saved.kf.conj();
  over_batch(B, [&](int64_t c, int64_t b0, int64_t nb) {
    auto gb = gy.narrow(0, b0, nb);
    auto gf = torch::fft::rfft(gb, n, 1);                                // (nb, F, H)
    // dL/dkc: correlation of gy with u; in frequency Gy conj(U), summed over the batch.
    dkf_part[size_t(c)] = (gf * saved.uf.narrow(0, b0, nb).conj()).sum(0);  // (F, H)
    dd_part[size_t(c)] = (gb * u.narrow(0, b0, nb)).sum(at::IntArrayRef{0, 1});  // (H)
    auto dub = torch::fft::irfft(gf.mul_(kf_conj), n, 1).narrow(1, 0, L);  // (nb, L, H)
    auto duslice = du.narrow(0, b0, nb);
    at::add_out(duslice, dub, gb * d);
  });
  auto dkf = dkf_part[0], ddv = dd_part[0];
  for (size_t i = 1; i < dkf_part.size(); ++i) {
    dkf = dkf + dkf_part[i];
    ddv = ddv + dd_part[i];
  }
  dkc = torch::fft::irfft(dkf.transpose(0, 1), n, -1);                  // (H, n)
  dd = ddv;
}

}  // namespace spikessm::kernels

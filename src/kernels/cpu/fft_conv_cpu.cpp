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

// Number of batch slices over_batch makes: one per thread.
static int64_t batch_chunks(int64_t B) { return std::min<int64_t>(B, at::get_num_threads()); }

// Runs fn(chunk, b0, nb) over batch_chunks(B) batch slices.
template <typename F>
static void over_batch(int64_t B, F fn) {
  const int64_t chunks = batch_chunks(B);
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    // Grad mode is thread-local: worker threads start with it on, and an ATen op on inputs
    // that require grad would record a graph there (and refuse the out= variants).
    c10::AutoGradMode no_grad(false);
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b0 = B * c / chunks, b1 = B * (c + 1) / chunks;
      if (b1 > b0) fn(c, b0, b1 - b0);
    }
  });
}

// Sum over the batch of G conj(U): (nb, H, F) x (nb, H, F) -> acc (H, F), accumulated.
static void accumulate_cross_spectrum(const at::Tensor& g, const at::Tensor& u, at::Tensor& acc) {
  AT_DISPATCH_COMPLEX_TYPES(g.scalar_type(), "cross_spectrum", [&] {
    const int64_t nb = g.size(0), row = g.size(1) * g.size(2);
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* up = u.data_ptr<scalar_t>();
    scalar_t* ap = acc.data_ptr<scalar_t>();
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t i = 0; i < row; ++i) ap[i] += gp[b * row + i] * std::conj(up[b * row + i]);
  });
}

at::Tensor fft_conv_forward_cpu(const at::Tensor& u, const at::Tensor& kc, const at::Tensor& d,
                                FftConvSaved& saved) {
  const int64_t B = u.size(0), L = u.size(1), H = u.size(2), n = kc.size(1);
  const int64_t F = n / 2 + 1;
  saved.kf = torch::fft::rfft(kc, n, -1);  // (H, F)
  saved.uf = at::empty({B, H, F}, saved.kf.options());
  auto y = at::empty_like(u);
  over_batch(B, [&](int64_t, int64_t b0, int64_t nb) {
    // pocketfft is fastest along a contiguous axis: work in (nb, H, L) here.
    auto ub = u.narrow(0, b0, nb);
    auto uf = torch::fft::rfft(ub.transpose(1, 2).contiguous(), n, -1);  // (nb, H, F)
    saved.uf.narrow(0, b0, nb).copy_(uf);
    auto yt = torch::fft::irfft(uf.mul_(saved.kf), n, -1).narrow(-1, 0, L);  // (nb, H, L)
    auto yslice = y.narrow(0, b0, nb);
    at::add_out(yslice, yt.transpose(1, 2), ub * d);
  });
  return y;
}

void fft_conv_backward_cpu(const at::Tensor& gy, const at::Tensor& u, const at::Tensor& d,
                           const FftConvSaved& saved, int64_t n, at::Tensor& du, at::Tensor& dkc,
                           at::Tensor& dd) {
  const int64_t B = gy.size(0), L = gy.size(1);
  const int64_t chunks = batch_chunks(B);
  du = at::empty_like(gy);
  // Per-thread partial sums over the batch, reduced afterwards in a fixed order.
  std::vector<at::Tensor> dkf_part(static_cast<size_t>(chunks)),
      dd_part(static_cast<size_t>(chunks));
  auto kf_conj = saved.kf.conj().resolve_conj();
  over_batch(B, [&](int64_t c, int64_t b0, int64_t nb) {
    auto gb = gy.narrow(0, b0, nb);
    auto gf = torch::fft::rfft(gb.transpose(1, 2).contiguous(), n, -1);  // (nb, H, F)
    // dL/dkc is the correlation of gy with u: G conj(U) in frequency, summed over the batch.
    dkf_part[size_t(c)] = at::zeros_like(saved.kf);
    accumulate_cross_spectrum(gf, saved.uf.narrow(0, b0, nb), dkf_part[size_t(c)]);
    dd_part[size_t(c)] = (gb * u.narrow(0, b0, nb)).sum(at::IntArrayRef{0, 1});  // (H)
    auto dut = torch::fft::irfft(gf.mul_(kf_conj), n, -1).narrow(-1, 0, L);      // (nb, H, L)
    auto duslice = du.narrow(0, b0, nb);
    at::add_out(duslice, dut.transpose(1, 2), gb * d);
  });
  auto dkf = dkf_part[0], ddv = dd_part[0];
  for (size_t i = 1; i < dkf_part.size(); ++i) {
    dkf = dkf + dkf_part[i];
    ddv = ddv + dd_part[i];
  }
  dkc = torch::fft::irfft(dkf, n, -1);  // (H, n)
  dd = ddv;
}

}  // namespace spikessm::kernels

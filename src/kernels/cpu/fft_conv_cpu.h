#pragma once
// Long convolution of (B, L, H) sequences with one real kernel per channel laid out on an
// n-point circle, by FFT along time. pocketfft (libtorch's CPU FFT) runs one thread per
// call, so the batch is split across ATen's threads; each thread transforms its own rows.
#include <ATen/ATen.h>

namespace spikessm::kernels {

// Smallest n >= min_n of the form 2^a 3^b 5^c (pocketfft's fast sizes).
int64_t fft_good_size(int64_t min_n);

struct FftConvSaved {
  at::Tensor uf;  // (B, H, n/2+1) complex spectrum of u, reused by backward
  at::Tensor kf;  // (H, n/2+1) complex spectrum of the kernel
};

// u: (B, L, H), kc: (H, n) with n >= 2L, d: (H) -> y: (B, L, H) = conv(u, kc) + d u
at::Tensor fft_conv_forward_cpu(const at::Tensor& u, const at::Tensor& kc, const at::Tensor& d,
                                FftConvSaved& saved);

// gy: (B, L, H) -> du: (B, L, H), dkc: (H, n), dd: (H)
void fft_conv_backward_cpu(const at::Tensor& gy, const at::Tensor& u, const at::Tensor& d,
                           const FftConvSaved& saved, int64_t n, at::Tensor& du, at::Tensor& dkc,
                           at::Tensor& dd);

}  // namespace spikessm::kernels

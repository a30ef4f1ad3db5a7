#pragma once
// The two differentiable ops behind S4D, each with a fused CPU path and a reference twin.
#include <torch/torch.h>

namespace spikessm {

// K[c, h, l] = 2 Re sum_m w[c, h, m] z[h, m]^l.
// w: (C, H, M, 2), z: (H, M, 2) complex as (re, im) -> k: (C, H, L)
torch::Tensor s4d_vandermonde(const torch::Tensor& w, const torch::Tensor& z, int64_t L);

// Linear convolution by FFT on an n-point circle (n >= 2L): lags 0..L-1 causal, lags -L..-1
// at kc[:, n-L:] (bidirectional), plus the skip d u.
// u: (B, L, H), kc: (H, n), d: (H) -> y: (B, L, H)
torch::Tensor fft_conv(const torch::Tensor& u, const torch::Tensor& kc, const torch::Tensor& d);

// The S4D layer as its recurrence (exactly the convolution with the Vandermonde kernel of w, z;
// C = 2 adds the anti-causal direction of the bidirectional layer), plus the skip d u.
// u: (B, L, H), w: (C, H, M, 2), z: (H, M, 2), d: (H) -> y: (B, L, H)
torch::Tensor diag_ssm(const torch::Tensor& u, const torch::Tensor& w, const torch::Tensor& z,
                       const torch::Tensor& d);

// Streaming inference (no autograd) of the causal diag_ssm: starts from the mode states
// s (the kernel's, s_t = z s_{t-1} + w x_t per channel and mode) and leaves them after the last
// step, so chunks in turn give exactly (bit for bit) the outputs of one diag_ssm over the whole.
// u: (B, L, H), w: (1, H, M, 2), z: (H, M, 2), d: (H), state: (B, H, M, 2) -> y: (B, L, H)
torch::Tensor diag_ssm_stream(const torch::Tensor& u, const torch::Tensor& w,
                              const torch::Tensor& z, const torch::Tensor& d, torch::Tensor& state);

// The (H, n) FFT-circle layout of a (C, H, L) kernel: causal lags first, anti-causal at the end.
torch::Tensor circular_layout(const torch::Tensor& k, int64_t n);

// Smallest fast FFT size (2^a 3^b 5^c) >= min_n.
int64_t fft_size_for(int64_t min_n);

namespace ref {
// Reference twins built from ATen ops and differentiated by autograd.
torch::Tensor s4d_vandermonde(const torch::Tensor& w, const torch::Tensor& z, int64_t L);
torch::Tensor fft_conv(const torch::Tensor& u, const torch::Tensor& kc, const torch::Tensor& d);
// The same map as diag_ssm through the reference Vandermonde kernel and FFT convolution.
torch::Tensor diag_ssm(const torch::Tensor& u, const torch::Tensor& w, const torch::Tensor& z,
                       const torch::Tensor& d);
}  // namespace ref

}  // namespace spikessm

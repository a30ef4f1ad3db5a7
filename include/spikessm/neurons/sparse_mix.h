#pragma once
// Event-driven inference of spike-driven linear layers (the SpikingSSM mixing layer H -> 2H):
// the binary input is bit-packed and only the weight rows of active spikes are accumulated
// (AC only, papers.md 5), vectorised over the outputs and parallel over rows. The result
// equals the dense product up to float rounding order (a fixed order: bias, then active
// inputs ascending), and equals ref::spike_linear exactly.
#include <torch/torch.h>

#include <string>

#include "spikessm/common/kinds.h"

namespace spikessm {

// The mixing layer's GLU: z (M, 2H) -> z[:, :H] * sigmoid(z[:, H:]) (M, H).
torch::Tensor glu_halves(const torch::Tensor& z);

// s: (M, K) float32 in {0, 1}, wt: (K, N) = W^T, bias: (N) or undefined -> (M, N);
// glu: the GLU fused in, -> (M, N/2) (the pre-activation is never written).
torch::Tensor spike_linear(const torch::Tensor& s, const torch::Tensor& wt,
                           const torch::Tensor& bias, bool glu = false);

namespace ref {
// Twin of spike_mm: torch::mm, differentiated by autograd.
torch::Tensor spike_mm(const torch::Tensor& s, const torch::Tensor& wt);
// The scalar twin in the same accumulation order: bit-equal to spike_linear (with glu, equal
// to a few ulps: the kernel's sigmoid uses a vectorised exp).
torch::Tensor spike_linear(const torch::Tensor& s, const torch::Tensor& wt,
                           const torch::Tensor& bias, bool glu = false);
}  // namespace ref

// Training's mixing product over spikes, with autograd: s: (M, K) float32 in {0, 1}, wt: (K, N)
// -> s wt: (M, N). When the batch's spiking rate is below sparse_below, the product and the
// weight gradient s^T g run event-driven (an active spike adds a row: no multiplies; fixed
// order, so results do not depend on threads), else as GEMMs; the input gradient g wt^T is a
// GEMM either way. The choice depends only on the spikes, so a seeded run repeats exactly.
// Equal to s wt up to float rounding order.
constexpr double kSpikeMmSparseBelow = 0.3;  // bench_sparse_mix: event-driven wins below ~0.3
torch::Tensor spike_mm(const torch::Tensor& s, const torch::Tensor& wt,
                       double sparse_below = kSpikeMmSparseBelow);

// The spiking rate below which spike_linear is faster than addmm for a (K -> N) layer at the
// current thread count, measured on first use (a few ms: both kernels timed on synthetic
// spikes at rates 0.01..0.9) and cached for the process. 0: dense always wins; 1: sparse
// won at every measured rate (then it is used for any rate).
double spike_linear_crossover(int64_t K, int64_t N, bool glu = false);

struct MixChoice {
  bool sparse = false;
  double rate = 0;  // measured rate of this input (only computed when it matters)
};

// s: (M, K) binary, wt: (K, N), bias: (N) -> (M, N), or (M, N/2) with glu, by the chosen
// kernel. Dense is torch::addmm (then glu_halves); Auto measures the rate while packing and
// compares it with spike_linear_crossover(K, N, glu).
torch::Tensor spike_mix_linear(const torch::Tensor& s, const torch::Tensor& wt,
                               const torch::Tensor& bias, MixKernel kind,
                               MixChoice* choice = nullptr, bool glu = false);

}  // namespace spikessm

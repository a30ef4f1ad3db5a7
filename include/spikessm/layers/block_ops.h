#pragma once
// Pieces shared by the sequence blocks (SpikingSSM, Binary S4D).
#include <torch/torch.h>

namespace spikessm {

// Dropout with one mask per (sample, channel), shared by every time step (DropoutNd).
// x: (B, L, H) -> (B, L, H); identity when not training or p <= 0.
torch::Tensor tied_dropout(const torch::Tensor& x, double p, bool training);

// LayerNorm over channels, or BatchNorm per channel over (batch x time); whichever is set.
// x: (B, L, H) -> (B, L, H); identity when neither is.
torch::Tensor channel_norm(const torch::Tensor& x, torch::nn::LayerNorm& layer_norm,
                           torch::nn::BatchNorm1d& batch_norm);

// The SpikingSSM block's epilogue: residual plus GLU of the mixing layer's output,
// out = x + a * sigmoid(b) with [a, b] = m + bias. One fused pass (the bias added and the
// sigmoid taken in it); its backward writes the gradients of both halves into one (B, L, 2H)
// tensor, the GEMM's own layout. Equal to x + glu_halves(m + bias) up to the exp in sigmoid
// (vec_util's, as the step engine's; relative error ~2e-7).
// x: (B, L, H), m: (B, L, 2H), bias: (2H) or undefined -> (B, L, H)
torch::Tensor glu_residual(const torch::Tensor& x, const torch::Tensor& m,
                           const torch::Tensor& bias = {});

namespace ref {
// Reference twin: the unfused composition of ATen ops. x: (B, L, H), m: (B, L, 2H) -> (B, L, H)
torch::Tensor glu_residual(const torch::Tensor& x, const torch::Tensor& m,
                           const torch::Tensor& bias = {});
}  // namespace ref

}  // namespace spikessm

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

}  // namespace spikessm

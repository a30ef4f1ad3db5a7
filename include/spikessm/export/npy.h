#pragma once
// NumPy's .npy format (version 1.0) for one tensor, so that numbers the CLI computes (e.g. the
// test logits of `spikessm eval --logits`) are read by numpy.load or torch without a parser.
#include <torch/torch.h>

#include <string>

namespace spikessm {

// t: any shape, float32 / float64 / int64 / uint8 (spikes), CPU -> the bytes of a .npy file (C
// order, little-endian). InputError for another dtype.
std::string npy_bytes(const torch::Tensor& t);

}  // namespace spikessm

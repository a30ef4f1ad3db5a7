#pragma once
// 8-bit grayscale PNG through libpng's simplified API.
#include <torch/torch.h>

#include <string>

namespace spikessm {

// img: (H, W) uint8 -> PNG file, written atomically (temp file + rename).
void write_png_gray(const std::string& path, const torch::Tensor& img);
// PNG file (any colour type; converted to gray as libpng does) -> (H, W) uint8.
torch::Tensor read_png_gray(const std::string& path);

}  // namespace spikessm

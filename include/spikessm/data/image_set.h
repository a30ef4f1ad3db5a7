#pragma once
// An MNIST-style image set (MNIST, Fashion-MNIST): IDX images + labels in one directory.
#include <torch/torch.h>

#include <string>

namespace spikessm {

struct ImageSet {
  torch::Tensor images;     // (N, H, W) uint8
  torch::Tensor labels;     // (N,) int64, each in [0, 10)
  std::string images_path;  // the IDX file of the images, for messages
};

// Loads {train|t10k}-images-idx3-ubyte[.gz] and {train|t10k}-labels-idx1-ubyte[.gz]
// from dir (the uncompressed name wins when both exist). Throws InputError naming the
// directory or file when files are missing, shapes disagree or a label is >= 10.
ImageSet load_idx_image_set(const std::string& dir, bool train);

// InputError naming the test file when its images are not height x width, the size of the
// training images (`trained_on` names them): a model trained at one sequence length would be
// scored at another without a word.
void require_training_size(const ImageSet& test, int64_t height, int64_t width,
                           const std::string& trained_on);

}  // namespace spikessm

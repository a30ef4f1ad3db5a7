#pragma once
// Sequential grayscale CIFAR-10 (the LRA Image task) from ../shared/data/cifar10-jpeg:
// a tar of 32x32 RGB JPEG files {train,test}/<class>/NNNN.jpg. The copy is lossy JPEG
// (quality ~75), NOT bit-exact CIFAR-10: every number from it must say so.
// Decoded with libjpeg-turbo; grayscale as tf.image.rgb_to_grayscale
// (0.2989 R + 0.5870 G + 0.1140 B, rounded to 0..255); row-major pixels -> L = 1024.
#include <torch/torch.h>

#include <string>

namespace spikessm {

constexpr const char* kCifarJpegMd5 = "63ef9f0d0f37ee9d39df1f47bfeb8eb8";
extern const char* const kCifarClasses[10];

struct CifarGray {
  torch::Tensor train_images,
      train_labels;  // (50000, 32, 32) uint8 [(50000, 3, 32, 32) colour], (50000,) int64
  torch::Tensor test_images, test_labels;  // (10000, 32, 32), (10000,)
};

// Reads the tar (verifying its md5 when check_md5); InputError on a bad file. Without
// with_train the training members are not decoded and train_* stay undefined.
CifarGray load_cifar_gray_tar(const std::string& tar_path, bool check_md5, bool with_train = true);

// The same tar decoded in colour (color = true): images (N, 3, 32, 32) uint8 RGB.
CifarGray load_cifar_tar(const std::string& tar_path, bool check_md5, bool color,
                         bool with_train = true);

// JPEG bytes -> (3, 32, 32) uint8 RGB. InputError (naming `what`) on a decode failure.
torch::Tensor decode_jpeg_rgb(const std::string& bytes, const std::string& what);

// JPEG bytes -> (32, 32) uint8 grayscale. InputError (naming `what`) on a decode failure.
torch::Tensor decode_jpeg_gray(const std::string& bytes, const std::string& what);

}  // namespace spikessm

#include "spikessm/data/png_io.h"

#include <png.h>

#include <cstring>
#include <filesystem>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"

namespace spikessm {

void write_png_gray(const std::string& path, const torch::Tensor& img_) {
  TORCH_CHECK(img_.dim() == 2 && img_.scalar_type() == torch::kUInt8,
              "[write_png_gray] expected an (H, W) uint8 tensor");
  auto img = img_.contiguous();
  png_image im;
  std::memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  im.width = png_uint_32(img.size(1));
  im.height = png_uint_32(img.size(0));
  im.format = PNG_FORMAT_GRAY;
  write_file_atomic_with(path, [&](const std::string& tmp) {
    if (!png_image_write_to_file(&im, tmp.c_str(), 0, img.data_ptr<uint8_t>(), 0, nullptr))
      throw InputError(path + ": cannot write PNG (" + im.message + ")");
  });
}

torch::Tensor read_png_gray(const std::string& path) {
  png_image im;
  std::memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&im, path.c_str()))
    throw InputError(path + ": cannot read PNG (" + im.message + ")");
  // The size is the file's claim: bound it before allocating (Pathfinder images are 32-256 px).
  constexpr png_uint_32 kMaxSide = 16384;
  if (im.width > kMaxSide || im.height > kMaxSide) {
    png_image_free(&im);
    throw InputError(path + ": PNG of " + std::to_string(im.width) + "x" +
                     std::to_string(im.height) + " pixels (at most " + std::to_string(kMaxSide) +
                     " per side)");
  }
  im.format = PNG_FORMAT_GRAY;
  auto out = torch::empty({int64_t(im.height), int64_t(im.width)}, torch::kUInt8);
  if (!png_image_finish_read(&im, nullptr, out.data_ptr<uint8_t>(), 0, nullptr)) {
    png_image_free(&im);
    throw InputError(path + ": cannot decode PNG (" + im.message + ")");
  }
  return out;
}

}  // namespace spikessm

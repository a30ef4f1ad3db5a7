// MNIST-layout image sets: the same four file names serve MNIST and Fashion-MNIST.
#include "spikessm/data/image_set.h"

#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/data/idx.h"

namespace spikessm {
namespace {

namespace fs = std::filesystem;

// dir/name or dir/name.gz; the uncompressed file wins because it reads faster.
std::string find_file(const std::string& dir, const std::string& name) {
  for (const std::string& n : {name, name + ".gz"}) {
    const fs::path p = fs::path(dir) / n;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  throw InputError(dir + ": neither " + name + " nor " + name +
                   ".gz found (expected an MNIST-layout IDX directory)");
}

std::string shape_str(const torch::Tensor& t) {
  std::string s;
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "x" : "") + std::to_string(t.size(i));
  return s;
}

}  // namespace

ImageSet load_idx_image_set(const std::string& dir, bool train) {
  const std::string split = train ? "train" : "t10k";
  const std::string img_name = split + "-images-idx3-ubyte";
  const std::string lbl_name = split + "-labels-idx1-ubyte";
  std::error_code ec;
  require(fs::is_directory(dir, ec), dir,
          "directory not found (expected a directory holding " + img_name + "[.gz] and " +
              lbl_name + "[.gz])");
  const std::string img_path = find_file(dir, img_name);
  const std::string lbl_path = find_file(dir, lbl_name);

  ImageSet s;
  s.images = idx_to_tensor(read_idx(img_path));  // (N, H, W) uint8
  require(s.images.dim() == 3, img_path,
          "images have shape " + shape_str(s.images) + " (expected 3 dimensions N x H x W)");
  torch::Tensor lbl = idx_to_tensor(read_idx(lbl_path));  // (N,) uint8
  require(lbl.dim() == 1, lbl_path,
          "labels have shape " + shape_str(lbl) + " (expected 1 dimension N)");
  require(lbl.size(0) == s.images.size(0), lbl_path,
          std::to_string(lbl.size(0)) + " labels for " + std::to_string(s.images.size(0)) +
              " images in " + img_path + " (expected equal counts)");
  const int max_label = lbl.max().item<uint8_t>();
  require(max_label < 10, lbl_path,
          "label " + std::to_string(max_label) + " out of range (expected 0 to 9)");
  s.labels = lbl.to(torch::kInt64);  // (N,) int64: what cross_entropy takes
  s.images_path = img_path;
  return s;
}

void require_training_size(const ImageSet& test, int64_t height, int64_t width,
                           const std::string& trained_on) {
  const int64_t h = test.images.size(1), w = test.images.size(2);
  require(h == height && w == width, test.images_path,
          std::to_string(h) + "x" + std::to_string(w) + " images, but " + trained_on + " are " +
              std::to_string(height) + "x" + std::to_string(width) +
              " (expected test images of the training size)");
}

}  // namespace spikessm

// MNIST-layout image sets: real Fashion-MNIST and MNIST load with the published sizes;
// broken directories fail with one InputError line naming the directory or file.
#include <zlib.h>

#include <fstream>

#include "spikessm/common/error.h"
#include "spikessm/data/image_set.h"
#include "test_util.h"

namespace {

using spikessm::InputError;
using spikessm::load_idx_image_set;
namespace fs = std::filesystem;

void write_idx(const fs::path& p, const std::vector<uint32_t>& dims, uint8_t fill, bool gz) {
  std::vector<uint8_t> b = {0, 0, 8, uint8_t(dims.size())};
  size_t n = 1;
  for (uint32_t d : dims) {
    n *= d;
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(d >> s));
  }
  b.resize(b.size() + n, fill);
  if (gz) {
    gzFile g = gzopen(p.c_str(), "wb");
    gzwrite(g, b.data(), unsigned(b.size()));
    gzclose(g);
  } else {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
  }
}

void expect_error(const std::string& dir, bool train, const std::string& where,
                  const std::string& part) {
  try {
    load_idx_image_set(dir, train);
    ADD_FAILURE() << "no error for " << dir;
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(where + ": ", 0), 0u) << m;
    EXPECT_NE(m.find(part), std::string::npos) << "missing '" << part << "' in: " << m;
  }
}

TEST(ImageSet, SmallRawAndGzip) {
  const fs::path d = spikessm::testing::scratch_dir("image_set_small");
  write_idx(d / "train-images-idx3-ubyte", {5, 4, 3}, 7, false);
  write_idx(d / "train-labels-idx1-ubyte.gz", {5}, 9, true);
  auto s = load_idx_image_set(d.string(), true);
  EXPECT_EQ(s.images.sizes(), torch::IntArrayRef({5, 4, 3}));
  EXPECT_EQ(s.images.scalar_type(), torch::kUInt8);
  EXPECT_EQ(s.labels.sizes(), torch::IntArrayRef({5}));
  EXPECT_EQ(s.labels.scalar_type(), torch::kInt64);
  EXPECT_EQ(s.labels.sum().item<int64_t>(), 45);
}

TEST(ImageSet, BadDirectories) {
  const fs::path d = spikessm::testing::scratch_dir("image_set_bad");
  const std::string missing = (d / "absent").string();
  expect_error(missing, true, missing,
               "directory not found (expected a directory holding train-images-idx3-ubyte[.gz]");
  expect_error(d.string(), false, d.string(),
               "neither t10k-images-idx3-ubyte nor t10k-images-idx3-ubyte.gz");

  write_idx(d / "t10k-images-idx3-ubyte", {5, 4, 3}, 0, false);
  expect_error(d.string(), false, d.string(), "t10k-labels-idx1-ubyte");

  const std::string lbl = (d / "t10k-labels-idx1-ubyte").string();
  write_idx(lbl, {4}, 0, false);
  expect_error(d.string(), false, lbl, "4 labels for 5 images");
  write_idx(lbl, {5, 1}, 0, false);
  expect_error(d.string(), false, lbl, "expected 1 dimension");
  write_idx(lbl, {5}, 10, false);
  expect_error(d.string(), false, lbl, "label 10 out of range");

  const std::string img = (d / "t10k-images-idx3-ubyte").string();
  write_idx(img, {5, 12}, 0, false);
  expect_error(d.string(), false, img, "expected 3 dimensions");
}

// 60,000 / 10,000 images of 28x28 and labels balanced to the image.
void check_published_set(const std::string& dir, bool balanced) {
  for (bool train : {true, false}) {
    const int64_t n = train ? 60000 : 10000;
    auto s = load_idx_image_set(dir, train);
    EXPECT_EQ(s.images.sizes(), torch::IntArrayRef({n, 28, 28}));
    EXPECT_EQ(s.labels.sizes(), torch::IntArrayRef({n}));
    torch::Tensor counts = torch::bincount(s.labels, {}, 10);
    EXPECT_EQ(counts.size(0), 10);
    if (balanced) {
      EXPECT_TRUE(torch::all(counts == n / 10).item<bool>()) << counts;
    }
    EXPECT_TRUE(torch::all(counts > 0).item<bool>()) << counts;
  }
}

TEST(ImageSet, FashionMnist) {
  const std::string dir = spikessm::testing::fashion_mnist_dir();
  SPIKESSM_SKIP_UNLESS_EXISTS(dir);
  check_published_set(dir, /*balanced=*/true);
}

TEST(ImageSet, Mnist) {
  // Checksums are verified in test_idx.cpp; MNIST's classes are not balanced.
  const std::string dir = spikessm::testing::shared_data_dir() + "/mnist";
  SPIKESSM_SKIP_UNLESS_EXISTS(dir);
  check_published_set(dir, /*balanced=*/false);
  auto s = load_idx_image_set(dir, false);
  EXPECT_EQ(s.labels.slice(0, 0, 5).to(torch::kLong).sum().item<int64_t>(), 7 + 2 + 1 + 0 + 4);
}

}  // namespace

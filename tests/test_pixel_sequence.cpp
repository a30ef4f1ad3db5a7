// Sequential image task: layout, pooling and the fixed pixel permutation.
#include "spikessm/common/error.h"
#include "spikessm/data/image_set.h"
#include "spikessm/data/pixel_sequence.h"
#include "test_util.h"

namespace {

using spikessm::InputError;
using spikessm::pixel_permutation;
using spikessm::PixelSequenceOptions;
using spikessm::to_pixel_sequences;

torch::Tensor random_images(int64_t n, int64_t h, int64_t w) {
  torch::manual_seed(0);
  return torch::randint(0, 256, {n, h, w}, torch::kInt32).to(torch::kUInt8);
}

TEST(PixelSequence, RowMajorScaled) {
  torch::Tensor img = random_images(3, 28, 28);
  torch::Tensor x = to_pixel_sequences(img);  // (3, 784, 1)
  ASSERT_EQ(x.sizes(), torch::IntArrayRef({3, 784, 1}));
  EXPECT_EQ(x.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(x.is_contiguous());
  auto a = x.accessor<float, 3>();
  auto im = img.accessor<uint8_t, 3>();
  for (int n = 0; n < 3; ++n)
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) ASSERT_EQ(a[n][r * 28 + c][0], im[n][r][c] / 255.f);
}

TEST(PixelSequence, Standardised) {
  torch::Tensor img = random_images(2, 4, 6);
  PixelSequenceOptions o;
  o.mean = 0.25f;
  o.std = 0.5f;
  torch::Tensor x = to_pixel_sequences(img, o);
  torch::Tensor want = ((img.to(torch::kFloat) / 255.f - 0.25f) / 0.5f).reshape({2, 24, 1});
  EXPECT_TRUE(torch::allclose(x, want, 1e-6, 1e-6));
}

TEST(PixelSequence, Pooled2x2IsBlockMean) {
  torch::Tensor img = random_images(2, 28, 28);
  PixelSequenceOptions o;
  o.pool = 2;
  torch::Tensor x = to_pixel_sequences(img, o);  // (2, 196, 1)
  ASSERT_EQ(x.sizes(), torch::IntArrayRef({2, 196, 1}));
  auto a = x.accessor<float, 3>();
  auto im = img.accessor<uint8_t, 3>();
  for (int n = 0; n < 2; ++n)
    for (int r = 0; r < 14; ++r)
      for (int c = 0; c < 14; ++c) {
        const int sum = im[n][2 * r][2 * c] + im[n][2 * r][2 * c + 1] + im[n][2 * r + 1][2 * c] +
                        im[n][2 * r + 1][2 * c + 1];
        ASSERT_NEAR(a[n][r * 14 + c][0], sum / 4.0 / 255.0, 1e-7) << n << " " << r << " " << c;
      }
}

TEST(PixelSequence, BadInput) {
  torch::Tensor img = random_images(2, 28, 28);
  auto throws = [](const torch::Tensor& t, PixelSequenceOptions o, const std::string& part) {
    try {
      to_pixel_sequences(t, o);
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  PixelSequenceOptions o;
  o.pool = 3;
  throws(img, o, "pool 3 does not divide image size 28x28");
  o.pool = 0;
  throws(img, o, "pool 0");
  throws(img.to(torch::kFloat), {}, "expected uint8");
  throws(img[0], {}, "expected (N, H, W)");
  o = {};
  o.std = 0.f;
  throws(img, o, "std > 0");
}

TEST(PixelPermutation, FixedForSeed) {
  torch::Tensor p = pixel_permutation(784, 0);
  ASSERT_EQ(p.sizes(), torch::IntArrayRef({784}));
  EXPECT_EQ(p.scalar_type(), torch::kInt64);
  EXPECT_TRUE(torch::equal(std::get<0>(p.sort()), torch::arange(784, torch::kInt64)));
  EXPECT_TRUE(torch::equal(p, pixel_permutation(784, 0)));
  // Pinned output of our splitmix64 + Fisher-Yates (also reproduced by an independent
  // Python transcription): a change here silently changes every psMNIST result.
  EXPECT_TRUE(
      torch::equal(p.slice(0, 0, 5), torch::tensor({484, 411, 326, 479, 169}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(pixel_permutation(784, 1).slice(0, 0, 5),
                           torch::tensor({224, 663, 89, 640, 265}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(pixel_permutation(196, 0).slice(0, 0, 5),
                           torch::tensor({141, 149, 140, 146, 58}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(pixel_permutation(10, 42),
                           torch::tensor({0, 9, 5, 8, 6, 4, 7, 2, 1, 3}, torch::kInt64)));
  EXPECT_FALSE(torch::equal(p, pixel_permutation(784, 1)));
  EXPECT_EQ(pixel_permutation(1, 5).item<int64_t>(), 0);
  EXPECT_EQ(pixel_permutation(0, 5).numel(), 0);
  EXPECT_THROW(pixel_permutation(-1, 0), InputError);
}

TEST(PixelPermutation, ReordersPixelsExactly) {
  torch::Tensor img = random_images(3, 28, 28);
  for (int pool : {1, 2}) {
    PixelSequenceOptions o;
    o.pool = pool;
    torch::Tensor plain = to_pixel_sequences(img, o);  // (3, L, 1)
    o.permute = true;
    o.permutation_seed = 7;
    torch::Tensor perm = to_pixel_sequences(img, o);
    const int64_t L = plain.size(1);
    ASSERT_EQ(perm.sizes(), plain.sizes());
    const torch::Tensor order = pixel_permutation(L, 7);
    auto p = order.accessor<int64_t, 1>();
    auto a = plain.accessor<float, 3>();
    auto b = perm.accessor<float, 3>();
    for (int n = 0; n < 3; ++n)
      for (int64_t t = 0; t < L; ++t) ASSERT_EQ(b[n][t][0], a[n][p[t]][0]);
  }
}

TEST(PixelSequence, FashionMnistTestSet) {
  const std::string dir = spikessm::testing::fashion_mnist_dir();
  SPIKESSM_SKIP_UNLESS_EXISTS(dir);
  auto s = spikessm::load_idx_image_set(dir, false);
  torch::Tensor x = to_pixel_sequences(s.images);
  EXPECT_EQ(x.sizes(), torch::IntArrayRef({10000, 784, 1}));
  EXPECT_LE(x.max().item<float>(), 1.f);
  EXPECT_GE(x.min().item<float>(), 0.f);
  PixelSequenceOptions o;
  o.pool = 2;
  torch::Tensor y = to_pixel_sequences(s.images, o);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({10000, 196, 1}));
  // Pooling keeps the mean brightness of every image.
  EXPECT_TRUE(torch::allclose(x.mean({1, 2}), y.mean({1, 2}), 1e-5, 1e-6));
}

}  // namespace

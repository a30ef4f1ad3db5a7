// Grayscale CIFAR from the JPEG copy: decoding against a JPEG we encode ourselves with
// libjpeg, and the real tar when ../shared/data has it.
#include <gtest/gtest.h>
#include <jpeglib.h>

#include "spikessm/common/error.h"
#include "spikessm/data/cifar_gray.h"
#include "spikessm/data/task.h"
#include "spikessm/data/text_io.h"
#include "test_util.h"

using namespace spikessm;

namespace {
std::string encode_rgb_jpeg(const std::vector<uint8_t>& rgb, int w, int h) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = w;
  c.image_height = h;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    auto* row = const_cast<unsigned char*>(rgb.data() + size_t(c.next_scanline) * w * 3);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::string out(reinterpret_cast<char*>(buf), size);
  jpeg_destroy_compress(&c);
  free(buf);
  return out;
}
}  // namespace

TEST(CifarGray, DecodesToTfGrayscale) {
  // Flat colour blocks survive JPEG almost exactly; gray = 0.2989 R + 0.587 G + 0.114 B.
  std::vector<uint8_t> rgb(32 * 32 * 3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      uint8_t* p = &rgb[size_t(y * 32 + x) * 3];
      if (y < 16) {
        p[0] = 200;
        p[1] = 40;
        p[2] = 10;
      } else {
        p[0] = 20;
        p[1] = 120;
        p[2] = 240;
      }
    }
  auto g = decode_jpeg_gray(encode_rgb_jpeg(rgb, 32, 32), "mem");
  ASSERT_EQ(g.sizes(), (std::vector<int64_t>{32, 32}));
  const double top = 0.2989 * 200 + 0.587 * 40 + 0.114 * 10;
  const double bottom = 0.2989 * 20 + 0.587 * 120 + 0.114 * 240;
  EXPECT_NEAR(g[4][4].item<uint8_t>(), top, 3);
  EXPECT_NEAR(g[28][28].item<uint8_t>(), bottom, 3);
  EXPECT_THROW(decode_jpeg_gray("garbage", "mem"), InputError);
  EXPECT_THROW(
      decode_jpeg_gray(encode_rgb_jpeg(std::vector<uint8_t>(16 * 8 * 3, 9), 16, 8), "small"),
      InputError);
}

TEST(CifarGray, RealJpegTar) {
  const std::string tar = spikessm::testing::shared_data_dir() + "/cifar10-jpeg/cifar10-jpeg.tar";
  SPIKESSM_SKIP_UNLESS_EXISTS(tar);
  auto c = load_cifar_gray_tar(tar, true);
  ASSERT_EQ(c.train_images.sizes(), (std::vector<int64_t>{50000, 32, 32}));
  ASSERT_EQ(c.test_images.size(0), 10000);
  auto counts = torch::bincount(c.train_labels);
  EXPECT_TRUE(torch::equal(counts, torch::full({10}, 5000, torch::kInt64)));
  // Natural images: mid-range mean brightness, full dynamic range.
  const double mean = c.train_images.to(torch::kFloat).mean().item<double>();
  EXPECT_GT(mean, 100);
  EXPECT_LT(mean, 140);
  // Evaluation decodes only the test members.
  auto test_only = load_cifar_gray_tar(tar, true, false);
  EXPECT_FALSE(test_only.train_images.defined());
  EXPECT_TRUE(test_only.test_images.equal(c.test_images));
  EXPECT_TRUE(test_only.test_labels.equal(c.test_labels));
}

TEST(CifarGray, EvaluationTakesTheSavedTrainingStatistics) {
  const std::string dir = spikessm::testing::shared_data_dir() + "/cifar10-jpeg";
  SPIKESSM_SKIP_UNLESS_EXISTS(dir + "/cifar10-jpeg.tar");
  Config c;
  c.set("data.dataset=cifar10-gray");
  c.set("data.dir=" + dir);
  c.set("data.test_limit=300");
  const Task full = load_task(c);
  ASSERT_EQ(full.stats.mean.size(), 1u);
  const auto stats = train_split_stats_from_json(to_json(full.stats), "checkpoint.pt");
  const Task alone = load_task(c, TaskSplits::TestOnly, stats);
  EXPECT_FALSE(alone.train_x.defined());
  EXPECT_TRUE(alone.test_x.equal(full.test_x));
  EXPECT_TRUE(alone.test_y.equal(full.test_y));
  auto colour = stats;
  colour.mean = colour.std = {0.5, 0.5, 0.5};
  EXPECT_THROW(load_task(c, TaskSplits::TestOnly, colour), InputError);
}

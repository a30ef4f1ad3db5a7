// Pathfinder generator: LRA parameters, balanced labels, reproducibility, the official
// folder layout (PNG + metadata) read back, and the picture itself (markers on snakes).
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "spikessm/common/error.h"
#include "spikessm/data/lra_stats.h"
#include "spikessm/data/pathfinder.h"
#include "spikessm/data/png_io.h"
#include "spikessm/data/task.h"
#include "test_util.h"
#include "../src/data/pathfinder_morphology.h"

using namespace spikessm;

TEST(Pathfinder, LraParameterTable) {
  auto p = pathfinder_params(32);
  EXPECT_EQ(p.paddle_length, 2);
  EXPECT_EQ(p.seed_distance, 7);
  EXPECT_EQ(p.distractor_length, 4);
  EXPECT_EQ(p.num_distractor_snakes, 5);
  EXPECT_DOUBLE_EQ(p.paddle_thickness * p.antialias_scale, 1.0);
  auto x = pathfinder_params(128);
  EXPECT_EQ(x.paddle_margin_list, (std::vector<int>{2, 3}));
  EXPECT_EQ(x.seed_distance, 20);
  EXPECT_EQ(x.num_distractor_snakes, 35 / 4);
  EXPECT_DOUBLE_EQ(x.marker_radius, 3.0);
  EXPECT_THROW(pathfinder_params(48), InputError);
}

TEST(Pathfinder, BalancedReproducibleImages) {
  auto p = pathfinder_params(32);
  std::vector<PathfinderSample> s;
  for (int i = 0; i < 240; ++i) s.push_back(generate_pathfinder(p, 9, i));
  auto st = pathfinder_stats(s);
  // 240 fair coin flips: 120 +- 30 is about 4 standard deviations
  EXPECT_GT(st.positives, 90);
  EXPECT_LT(st.positives, 150);
  // Sparse line drawings: some, but not most, pixels lit; every image uses the full range.
  EXPECT_GT(st.mean_bright_fraction, 0.05);
  EXPECT_LT(st.mean_bright_fraction, 0.6);
  for (const auto& x : s) EXPECT_EQ(x.image.max().item<uint8_t>(), 255);
  EXPECT_TRUE(torch::equal(generate_pathfinder(p, 9, 17).image, s[17].image));
  EXPECT_FALSE(torch::equal(generate_pathfinder(p, 10, 17).image, s[17].image));
}

TEST(Pathfinder, OfficialLayoutRoundTrip) {
  auto dir = spikessm::testing::scratch_dir("pathfinder_dir");
  auto p = pathfinder_params(32);
  const int64_t pos = write_pathfinder_dir(dir.string(), p, 3, 25, 10, false);
  auto root = dir / "curv_contour_length_14";
  EXPECT_TRUE(std::filesystem::exists(root / "imgs/2/sample_4.png"));
  EXPECT_TRUE(std::filesystem::exists(root / "metadata/0.npy"));
  // metadata rows name the image and carry the label in column 3
  std::ifstream meta(root / "metadata/1.npy");
  std::string sub, fn, idx, label;
  meta >> sub >> fn >> idx >> label;
  EXPECT_EQ(sub, "imgs/1");
  EXPECT_EQ(fn, "sample_0.png");
  auto set = read_pathfinder_dir(dir.string(), 0);  // the parent folder is accepted too
  ASSERT_EQ(set.images.size(0), 25);
  EXPECT_EQ(set.labels.sum().item<int64_t>(), pos);
  EXPECT_EQ(set.labels[10].item<int64_t>(), std::stoll(label));
  EXPECT_TRUE(torch::equal(set.images[13], generate_pathfinder(p, 3, 13).image));
  EXPECT_EQ(read_pathfinder_dir(root.string(), 7).images.size(0), 7);
  EXPECT_THROW(read_pathfinder_dir((dir / "imgs").string(), 0), InputError);
}

TEST(Pathfinder, EvaluationDecodesOnlyTheTestImages) {
  auto dir = spikessm::testing::scratch_dir("pathfinder_test_only");
  write_pathfinder_dir(dir.string(), pathfinder_params(32), 5, 30, 10, false);
  Config c;
  c.set("data.dataset=pathfinder32");
  c.set("data.dir=" + dir.string());
  const Task full = load_task(c);
  ASSERT_EQ(full.test_x.size(0), 3);
  // The 80/10/10 split takes the last tenth of the seeded permutation as the test rows: every
  // other image is overwritten with bytes that are not a PNG.
  const auto rows = list_pathfinder_dir(dir.string(), 0);
  ASSERT_EQ(rows.size(), 30u);
  const auto perm = seeded_permutation(30, 42);
  for (int64_t i = 0; i < 27; ++i)
    std::ofstream(rows[size_t(perm[i].item<int64_t>())].image, std::ios::trunc) << "no png";
  EXPECT_THROW(load_task(c), InputError);
  const Task alone = load_task(c, TaskSplits::TestOnly);
  EXPECT_FALSE(alone.train_x.defined());
  EXPECT_FALSE(alone.val_x.defined());
  EXPECT_TRUE(alone.test_x.equal(full.test_x));
  EXPECT_TRUE(alone.test_y.equal(full.test_y));
  std::filesystem::remove_all(dir);
}

TEST(Pathfinder, PngRoundTrip) {
  auto dir = spikessm::testing::scratch_dir("png");
  auto img = torch::arange(0, 35 * 3, torch::kInt64).remainder(256).to(torch::kUInt8).view({3, 35});
  write_png_gray((dir / "a.png").string(), img);
  EXPECT_TRUE(torch::equal(read_png_gray((dir / "a.png").string()), img));
  std::ofstream(dir / "bad.png") << "not a png";
  EXPECT_THROW(read_png_gray((dir / "bad.png").string()), InputError);
}

TEST(Pathfinder, PathXSize) {
  auto s = generate_pathfinder(pathfinder_params(128), 1, 0);
  EXPECT_EQ(s.image.sizes(), (std::vector<int64_t>{128, 128}));
  EXPECT_TRUE(s.margin == 2 || s.margin == 3);
}

// The row-span dilation (and its byte version behind the free-pixel search) against a
// per-pixel max written out here, on random sparse images and random kernels, including
// kernels larger than the image and even sizes, where the anchor sits at size / 2.
TEST(Pathfinder, DilationMatchesPerPixelMax) {
  namespace pd = spikessm::pathfinder_detail;
  std::mt19937 g(7);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int trial = 0; trial < 60; ++trial) {
    const int h = 1 + int(g() % 40), w = 1 + int(g() % 40);
    pd::Img im(h, w);
    const float density = u(g) * 0.2f;
    for (auto& v : im.v) v = u(g) < density ? u(g) : 0.f;
    pd::Kernel k;
    if (trial % 3 == 0) {
      k = pd::disk(int(g() % 6));
    } else {
      k.size = 1 + int(g() % 13);
      k.k.resize(size_t(k.size) * k.size);
      for (auto& b : k.k) b = u(g) < 0.4f;
    }
    const pd::Img fast = pd::dilate(im, k);
    std::vector<std::pair<int, int>> free_px;
    const int a = k.size / 2;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float m = 0;
        for (int i = 0; i < k.size; ++i)
          for (int j = 0; j < k.size; ++j) {
            const int yy = y + i - a, xx = x + j - a;
            if (k.k[size_t(i) * k.size + j] && yy >= 0 && yy < h && xx >= 0 && xx < w)
              m = std::max(m, im.v[size_t(yy) * w + xx]);
          }
        ASSERT_EQ(fast.at(y, x), m) << "trial " << trial << " at (" << y << ", " << x << ")";
        ASSERT_EQ(pd::dilate_at(im, k, y, x), m);
        if (m <= 0.3f) free_px.push_back({y, x});
      }
    const auto avail = pd::available_after_dilation(im, k);
    ASSERT_EQ(avail.size(), free_px.size()) << "trial " << trial;
    for (size_t i = 0; i < avail.size(); ++i) {
      EXPECT_EQ(avail[i].y, free_px[i].first);
      EXPECT_EQ(avail[i].x, free_px[i].second);
    }
  }
}

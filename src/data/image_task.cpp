#include "spikessm/data/image_task.h"

#include <filesystem>
#include <random>

#include "spikessm/common/error.h"
#include "spikessm/data/cifar_gray.h"
#include "spikessm/data/image_set.h"
#include "spikessm/data/seq_image_task.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

torch::Tensor first(const torch::Tensor& t, int64_t limit) {
  return limit > 0 && limit < t.size(0) ? t.narrow(0, 0, limit) : t;
}

// (N, C, H, W) uint8 -> float, standardised per channel with train's statistics (computed
// here when train_u8 is given, else taken from t.stats).
void standardise(Task& t, const torch::Tensor& train_u8, const torch::Tensor& test_u8) {
  torch::Tensor mean, std;
  if (train_u8.defined()) {
    auto train = train_u8.to(torch::kFloat) / 255.0;
    mean = train.mean({0, 2, 3}, true);
    std = train.std({0, 2, 3}, true, true);
    t.train_x = (train - mean) / std;
    auto as_vector = [](const torch::Tensor& v) {
      auto d = v.to(torch::kFloat64).contiguous();
      return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    };
    t.stats = {as_vector(mean), as_vector(std), train_u8.size(2), train_u8.size(3)};
  } else {
    require(int64_t(t.stats.mean.size()) == test_u8.size(1), "data.dataset",
            std::to_string(test_u8.size(1)) + " channels, the checkpoint's training statistics " +
                std::to_string(t.stats.mean.size()));
    auto channels = [&](const std::vector<double>& v) {
      return torch::tensor(v, torch::kFloat64).to(torch::kFloat).view({1, -1, 1, 1});
    };
    mean = channels(t.stats.mean);
    std = channels(t.stats.std);
  }
  t.test_x = (test_u8.to(torch::kFloat) / 255.0 - mean) / std;
}

// MNIST-layout IDX images; the training files only when their statistics are not given.
std::string idx_images(const DataOptions& o, bool with_train, Task& t, torch::Tensor& train_u8,
                       torch::Tensor& test_u8) {
  const std::string name = o.dataset;
  const int64_t tr = o.train_limit, te = o.test_limit;
  std::string dir = o.dir;
  if (dir.empty()) dir = default_data_dir(name);
  require(!dir.empty(), "data.dir",
          "no default directory for dataset '" + name + "': set data.dir to its IDX folder");
  ImageSet train;
  if (with_train) train = load_idx_image_set(dir, true);
  auto test = load_idx_image_set(dir, false);
  if (with_train)
    require_training_size(test, train.images.size(1), train.images.size(2),
                          "the training images " + train.images_path);
  else
    require_training_size(test, t.stats.height, t.stats.width,
                          "the training images of the checkpoint");
  if (with_train) {
    train_u8 = first(train.images, tr).unsqueeze(1);
    t.train_y = first(train.labels, tr);
  }
  test_u8 = first(test.images, te).unsqueeze(1);
  t.test_y = first(test.labels, te);
  return dir;
}

// The tar holds both splits; its training members are decoded only when with_train.
std::string cifar_images(const DataOptions& o, bool with_train, Task& t, torch::Tensor& train_u8,
                         torch::Tensor& test_u8) {
  const int64_t tr = o.train_limit, te = o.test_limit;
  std::string dir = o.dir;
  if (dir.empty()) dir = "../shared/data/cifar10-jpeg";
  const std::string tar = fs::is_directory(dir) ? dir + "/cifar10-jpeg.tar" : dir;
  require(fs::exists(tar), "data.dir", "'" + tar + "' not found (expected cifar10-jpeg.tar)");
  auto c = load_cifar_tar(tar, true, true, with_train);
  // The tar is ordered by class: one seeded shuffle of each split, so limits keep all classes.
  const uint64_t seed = o.split_seed;
  if (with_train) {
    auto p = seeded_permutation(c.train_images.size(0), seed);
    train_u8 = first(c.train_images.index_select(0, p), tr);
    t.train_y = first(c.train_labels.index_select(0, p), tr);
  }
  auto q = seeded_permutation(c.test_images.size(0), seed + 1);
  test_u8 = first(c.test_images.index_select(0, q), te);
  t.test_y = first(c.test_labels.index_select(0, q), te);
  t.crop_pad = 4;
  t.hflip = true;
  return tar + ", lossy JPEG copy";
}

}  // namespace

Task load_image_task(const DataOptions& o, TaskSplits splits, const TrainSplitStats& stats) {
  const std::string name = o.dataset;
  Task t;
  t.input = TaskInput::Image;
  t.n_classes = 10;
  torch::Tensor train_u8, test_u8;
  std::string src;
  // The training images only for training, or for a checkpoint saved without their statistics.
  const bool with_train = splits == TaskSplits::All || stats.empty();
  if (!with_train) t.stats = stats;
  if (name == "fashion-mnist" || name == "mnist") {
    src = idx_images(o, with_train, t, train_u8, test_u8);
  } else if (name == "cifar10") {
    src = cifar_images(o, with_train, t, train_u8, test_u8);
  } else {
    throw InputError("data.dataset: '" + name +
                     "' has no image layout (expected fashion-mnist, mnist or cifar10)");
  }
  standardise(t, train_u8, test_u8);
  if (splits == TaskSplits::TestOnly) t.train_x = t.train_y = torch::Tensor();
  const auto& x = t.test_x;
  t.d_input = x.size(1);
  t.L = x.size(2) * x.size(3);
  t.description =
      name + " images (" + src + "), " + std::to_string(x.size(1)) + "x" +
      std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)) + ", " +
      (t.train_x.defined() ? std::to_string(t.train_x.size(0)) + " train / " : "") +
      std::to_string(x.size(0)) + " test" +
      (t.crop_pad > 0 ? ", random crop (pad " + std::to_string(t.crop_pad) + ") + flip" : "");
  return t;
}

// x: (B, C, H, W) -> (B, C, H, W)
torch::Tensor augment_images(const torch::Tensor& x, int64_t pad, bool flip, uint64_t seed) {
  TORCH_CHECK(x.dim() == 4, "[augment_images] x must be (B, C, H, W), got ", x.sizes());
  TORCH_CHECK(pad >= 0, "[augment_images] pad must be >= 0");
  const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
  auto padded = pad > 0 ? torch::constant_pad_nd(x, {pad, pad, pad, pad}) : x;
  std::mt19937_64 g(seed);
  std::vector<torch::Tensor> out;
  out.reserve(size_t(B));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t dy = pad > 0 ? int64_t(g() % uint64_t(2 * pad + 1)) : 0;
    const int64_t dx = pad > 0 ? int64_t(g() % uint64_t(2 * pad + 1)) : 0;
    auto img = padded[b].narrow(1, dy, H).narrow(2, dx, W);
    if (flip && (g() & 1)) img = img.flip({2});
    out.push_back(img);
  }
  return torch::stack(out);
}

}  // namespace spikessm

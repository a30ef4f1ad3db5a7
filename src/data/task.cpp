#include "spikessm/data/task.h"

#include <array>
#include <filesystem>
#include <random>

#include "spikessm/common/error.h"
#include "spikessm/data/array_task.h"
#include "spikessm/data/cifar_gray.h"
#include "spikessm/data/fsdd.h"
#include "spikessm/data/image_task.h"
#include "spikessm/data/listops.h"
#include "spikessm/data/pathfinder.h"
#include "spikessm/data/seq_image_task.h"
#include "spikessm/data/text_tasks.h"

namespace spikessm {
namespace fs = std::filesystem;

torch::Tensor seeded_permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[size_t(i)] = i;
  std::mt19937_64 g(seed);
  for (int64_t i = n - 1; i > 0; --i)  // Fisher-Yates with our own draw: same on every libstdc++
    std::swap(idx[size_t(i)], idx[size_t(g() % uint64_t(i + 1))]);
  return torch::tensor(idx, torch::kInt64);
}

namespace {

// The first `limit` rows (all when limit is 0); an absent split stays absent.
torch::Tensor first(const torch::Tensor& t, int64_t limit) {
  return t.defined() && limit > 0 && limit < t.size(0) ? t.narrow(0, 0, limit) : t;
}

void apply_limits(Task& t, const DataOptions& o) {
  const int64_t tr = o.train_limit, te = o.test_limit;
  t.train_x = first(t.train_x, tr);
  t.train_y = first(t.train_y, tr);
  t.val_x = first(t.val_x, te);
  t.val_y = first(t.val_y, te);
  t.test_x = first(t.test_x, te);
  t.test_y = first(t.test_y, te);
}

// Drops what was built beyond the test split (tasks read from one file build every split).
Task only(TaskSplits splits, Task t) {
  if (splits == TaskSplits::TestOnly) {
    t.train_x = t.train_y = torch::Tensor();
    t.val_x = t.val_y = torch::Tensor();
  }
  return t;
}

std::string data_dir(const DataOptions& o, const std::string& dataset, const std::string& how) {
  const std::string dir = o.dir;
  require(!dir.empty(), "data.dir", "dataset '" + dataset + "' needs data.dir: " + how);
  require(fs::exists(dir), "data.dir", "'" + dir + "' does not exist (" + how + ")");
  return dir;
}

int64_t max_length(const DataOptions& o, int64_t def) {
  const int64_t m = o.max_length;
  return m > 0 ? m : def;
}

std::string sizes(const Task& t) {
  return (t.train_x.defined() ? std::to_string(t.train_x.size(0)) + " train / " : "") +
         (t.val_x.defined() ? std::to_string(t.val_x.size(0)) + " val / " : "") +
         std::to_string(t.test_x.size(0)) + " test";
}

Task listops_task(const DataOptions& o, TaskSplits splits) {
  const std::string dir =
      data_dir(o, "listops",
               "a folder with basic_{train,val,test}.tsv (the LRA release's listops-1000, or "
               "`spikessm data generate listops --out DIR`)");
  const int64_t l_max = max_length(o, 2048);
  Task t;
  t.input = TaskInput::Tokens;
  if (splits == TaskSplits::All) {
    encode_listops(read_listops_tsv(dir + "/basic_train.tsv"), l_max, t.train_x, t.train_y);
    encode_listops(read_listops_tsv(dir + "/basic_val.tsv"), l_max, t.val_x, t.val_y);
  }
  encode_listops(read_listops_tsv(dir + "/basic_test.tsv"), l_max, t.test_x, t.test_y);
  t.d_input = kListOpsVocab;
  t.n_classes = 10;
  apply_limits(t, o);
  t.L = (t.train_x.defined() ? t.train_x : t.test_x).size(1);
  t.description = "listops (" + dir + "), tokens <= " + std::to_string(t.L) + ", " + sizes(t);
  return t;
}

// (N, H, W) uint8 -> (N, H*W, 1) float, (p / 255 - mean) / std
torch::Tensor flatten_pixels(const torch::Tensor& img, double mean, double std) {
  return ((img.to(torch::kFloat) / 255.0 - mean) / std).reshape({img.size(0), -1, 1});
}

// 80/10/10 split of n rows by a seeded permutation (S4 uses random_split 80/10/10, seed 42):
// rows of train, val and test, in that order.
std::array<torch::Tensor, 3> split_811(int64_t n, uint64_t seed) {
  const int64_t n_val = n / 10, n_test = n / 10, n_train = n - n_val - n_test;
  auto perm = seeded_permutation(n, seed);
  return {perm.narrow(0, 0, n_train), perm.narrow(0, n_train, n_val),
          perm.narrow(0, n_train + n_val, n_test)};
}

// Only the images of the splits built are decoded (evaluation decodes the test split's).
Task pathfinder_task(const DataOptions& o, TaskSplits splits, const std::string& name, int size) {
  const std::string dir =
      data_dir(o, name,
               "the LRA pathfinder" + std::to_string(size) +
                   " folder (curv_contour_length_14/ with "
                   "metadata/ and imgs/), or `spikessm data generate pathfinder --size " +
                   std::to_string(size) + " --out DIR`");
  const auto rows = list_pathfinder_dir(dir, o.read_limit);
  const auto parts = split_811(int64_t(rows.size()), o.split_seed);
  auto read = [&](const torch::Tensor& part, int64_t limit, torch::Tensor& x, torch::Tensor& y) {
    auto idx = (limit > 0 && limit < part.size(0) ? part.narrow(0, 0, limit) : part).contiguous();
    if (idx.size(0) == 0) return;
    auto set = read_pathfinder_rows(
        rows, std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel()));
    require(set.images.size(1) == size && set.images.size(2) == size, "data.dir",
            "'" + dir + "' holds " + std::to_string(set.images.size(1)) + "x" +
                std::to_string(set.images.size(2)) + " images, expected " + std::to_string(size));
    x = flatten_pixels(set.images, 0.5, 0.5);
    y = set.labels;
  };
  Task t;
  if (splits == TaskSplits::All) {
    read(parts[0], o.train_limit, t.train_x, t.train_y);
    read(parts[1], o.test_limit, t.val_x, t.val_y);
  }
  read(parts[2], o.test_limit, t.test_x, t.test_y);
  require(t.test_x.defined(), "data.dir",
          "'" + dir + "' lists " + std::to_string(rows.size()) +
              " images: too few for a test split (a tenth of them)");
  t.d_input = 1;
  t.n_classes = 2;
  t.L = int64_t(size) * size;
  t.description = name + " (" + dir + "), L = " + std::to_string(t.L) + ", " + sizes(t);
  return t;
}

// Without the training images (evaluation of a checkpoint that saved their statistics) only the
// test members are decoded.
Task cifar_task(const DataOptions& o, TaskSplits splits, const TrainSplitStats& saved) {
  std::string dir = o.dir;
  if (dir.empty()) dir = "../shared/data/cifar10-jpeg";
  const std::string tar = fs::is_directory(dir) ? dir + "/cifar10-jpeg.tar" : dir;
  require(fs::exists(tar), "data.dir", "'" + tar + "' not found (expected cifar10-jpeg.tar)");
  const bool with_train = splits == TaskSplits::All || saved.empty();
  auto c = load_cifar_gray_tar(tar, true, with_train);
  Task t;
  if (with_train) {
    // LRA: train[:90%] / train[90%:] / test. Our tar is ordered by class, so the 45k/5k cut is
    // taken after a seeded shuffle.
    auto perm = seeded_permutation(c.train_images.size(0), o.split_seed);
    auto imgs = c.train_images.index_select(0, perm);
    auto labels = c.train_labels.index_select(0, perm);
    const int64_t n_train = imgs.size(0) * 9 / 10;
    auto train_imgs = imgs.narrow(0, 0, n_train);
    auto raw = train_imgs.to(torch::kFloat) / 255.0;
    const double mean = raw.mean().item<double>(), std = raw.std().item<double>();
    t.stats = {{mean}, {std}, 32, 32};
    t.train_x = flatten_pixels(train_imgs, mean, std);
    t.train_y = labels.narrow(0, 0, n_train);
    t.val_x = flatten_pixels(imgs.narrow(0, n_train, imgs.size(0) - n_train), mean, std);
    t.val_y = labels.narrow(0, n_train, imgs.size(0) - n_train);
  } else {
    require(saved.mean.size() == 1 && saved.std.size() == 1, "data.dataset",
            "cifar10-gray, but the checkpoint's training statistics have " +
                std::to_string(saved.mean.size()) + " channels (expected 1)");
    t.stats = saved;
  }
  // The test files are ordered by class too: shuffle once so data.test_limit keeps all classes.
  auto tperm = seeded_permutation(c.test_images.size(0), o.split_seed + 1);
  t.test_x = flatten_pixels(c.test_images.index_select(0, tperm), t.stats.mean[0], t.stats.std[0]);
  t.test_y = c.test_labels.index_select(0, tperm);
  t.d_input = 1;
  t.n_classes = 10;
  apply_limits(t, o);
  t.L = 1024;
  t.description = "cifar10-gray from lossy JPEG (" + tar + "), L = 1024, " + sizes(t);
  return t;
}

// Sets read in class order: one seeded shuffle of the train and test rows, so that
// data.train_limit / data.test_limit keep every class. Each split's order depends on its own
// seed only, so a test split built alone is the same.
void shuffle_train_and_test(Task& t, const DataOptions& o) {
  const auto seed = o.split_seed;
  if (t.train_x.defined()) {
    auto perm = seeded_permutation(t.train_x.size(0), seed);
    t.train_x = t.train_x.index_select(0, perm);
    t.train_y = t.train_y.index_select(0, perm);
  }
  auto tperm = seeded_permutation(t.test_x.size(0), seed + 1);
  t.test_x = t.test_x.index_select(0, tperm);
  t.test_y = t.test_y.index_select(0, tperm);
}

Task imdb_task(const DataOptions& o, TaskSplits splits) {
  const std::string dir =
      data_dir(o, "imdb", "the aclImdb folder (train/ and test/ with pos/ and neg/)");
  const int64_t l_max = max_length(o, 4096);
  Task t;
  t.input = TaskInput::Tokens;
  if (splits == TaskSplits::All) read_imdb_split(dir, "train", l_max, t.train_x, t.train_y);
  read_imdb_split(dir, "test", l_max, t.test_x, t.test_y);
  // The folders are ordered neg then pos.
  shuffle_train_and_test(t, o);
  t.d_input = kByteVocab;
  t.n_classes = 2;
  apply_limits(t, o);
  t.L = l_max;
  t.description = "imdb bytes (" + dir + "), L <= " + std::to_string(l_max) + ", " + sizes(t);
  return t;
}

Task aan_task(const DataOptions& o, TaskSplits splits) {
  const std::string dir = data_dir(o, "aan", "a folder with new_aan_pairs.{train,eval,test}.tsv");
  const int64_t l_max = max_length(o, 4000);
  Task t;
  t.input = TaskInput::TokenPairs;
  if (splits == TaskSplits::All) {
    read_aan_tsv(dir + "/new_aan_pairs.train.tsv", l_max, t.train_x, t.train_y);
    read_aan_tsv(dir + "/new_aan_pairs.eval.tsv", l_max, t.val_x, t.val_y);
  }
  read_aan_tsv(dir + "/new_aan_pairs.test.tsv", l_max, t.test_x, t.test_y);
  t.d_input = kByteVocab;
  t.n_classes = 2;
  apply_limits(t, o);
  t.L = l_max;
  t.description =
      "aan byte pairs (" + dir + "), L <= " + std::to_string(l_max) + " each, " + sizes(t);
  return t;
}

// Spoken digits: the official test split (index 0-4), validation index 5-9, train 10-49.
// Only the recordings of the splits built are decoded.
Task fsdd_task(const DataOptions& o, TaskSplits splits) {
  std::string dir = o.dir;
  if (dir.empty()) dir = "../shared/data/fsdd";
  const std::string tar = fs::is_directory(dir) ? dir + "/recordings.tar" : dir;
  require(fs::exists(tar), "data.dir",
          "'" + tar + "' not found (expected the FSDD recordings.tar)");
  AudioFeatureOptions fe = o.audio;
  fe.rate = kFsddRate;
  const AudioFrontEnd front_end(fe);  // checks the data.* keys of the front end
  const int64_t max_samples = max_length(o, kFsddMaxSamples),
                per_step = front_end.samples_per_step();
  require(max_samples >= per_step, "data.max_length",
          std::to_string(max_samples) + " samples is less than one step of " +
              std::to_string(per_step));
  const bool standardize = o.standardize && fe.kind == AudioFeatures::Wave;
  std::vector<torch::Tensor> x[3];
  std::vector<int64_t> y[3];
  int64_t trimmed = 0;
  const bool test_only = splits == TaskSplits::TestOnly;
  std::mt19937_64 shifts(o.split_seed ^ 0x5f5d5e5d5c5b5a59ULL);  // data.shift, in archive order
  for (auto& r : read_fsdd_tar(tar, [&](int64_t index) { return !test_only || index < 5; })) {
    const int split = r.index < 5 ? 2 : r.index < 10 ? 1 : 0;  // test, val, train
    if (split == 0 && o.shift > 0)
      r.samples.insert(r.samples.begin(), size_t(shifts() % uint64_t(o.shift + 1)), 0.0f);
    x[split].push_back(standardize ? fsdd_signal(r.samples, max_samples, per_step, true)
                                   : audio_steps(r.samples, max_samples, fe));
    y[split].push_back(r.digit);
    trimmed += int64_t(r.samples.size()) > max_samples;
  }
  require((test_only || !x[0].empty()) && !x[2].empty(), tar,
          test_only ? "needs recordings with index 0-4 (test)"
                    : "needs recordings with index >= 10 (train) and 0-4 (test)");
  auto stack = [&](int s, torch::Tensor& ox, torch::Tensor& oy) {
    ox = torch::stack(x[s]);
    oy = torch::tensor(y[s], torch::kInt64);
  };
  Task t;
  if (!x[0].empty()) stack(0, t.train_x, t.train_y);
  if (!x[1].empty()) stack(1, t.val_x, t.val_y);
  stack(2, t.test_x, t.test_y);
  // The tar is ordered by file name, digit first.
  shuffle_train_and_test(t, o);
  t.d_input = front_end.features();
  t.n_classes = 10;
  apply_limits(t, o);
  t.L = max_samples / per_step;
  t.description =
      "fsdd spoken digits (" + tar + "), " +
      (fe.kind == AudioFeatures::Wave ? std::to_string(kFsddRate / per_step) + " Hz waveform"
                                      : std::to_string(fe.mel_bands) + " log-mel bands every " +
                                            std::to_string(per_step) + " samples") +
      ", L = " + std::to_string(t.L) + " (" + std::to_string(trimmed) + " recordings trimmed), " +
      sizes(t);
  return t;
}

}  // namespace

Task load_task(const DataOptions& o, TaskSplits splits, const TrainSplitStats& stats) {
  const std::string name = o.dataset;
  if (o.image_layout) return load_image_task(o, splits, stats);
  require(name != "cifar10", "data.dataset", "cifar10 (colour) needs data.layout = \"image\"");
  if (name == "fashion-mnist" || name == "mnist") {
    SeqImageTask s = load_seq_image_task(o, splits, stats);
    Task t;
    t.train_x = s.train_x;
    t.train_y = s.train_y;
    t.test_x = s.test_x;
    t.test_y = s.test_y;
    t.L = s.L;
    t.d_input = s.d_input;
    t.n_classes = s.n_classes;
    t.stats = s.stats;
    t.description = s.description;
    return t;
  }
  if (name == "listops") return listops_task(o, splits);
  if (name == "imdb") return imdb_task(o, splits);
  if (name == "aan") return aan_task(o, splits);
  // One file (or folder) holds every split: read whole.
  if (name == "pathfinder32") return pathfinder_task(o, splits, name, 32);
  if (name == "pathx") return pathfinder_task(o, splits, name, 128);
  if (name == "cifar10-gray") return only(splits, cifar_task(o, splits, stats));
  if (name == "fsdd") return fsdd_task(o, splits);
  if (name == "arrays") {
    Task t = load_array_task(o, splits, stats);
    apply_limits(t, o);
    return only(splits, std::move(t));
  }
  throw InputError("data.dataset: unknown dataset '" + name + "'");
}

Task load_task(const Config& cfg, TaskSplits splits, const TrainSplitStats& stats) {
  return load_task(data_options(cfg), splits, stats);
}

ModelInput Task::model_input() const {
  ModelInput m;
  m.kind = input;
  m.d_input = d_input;
  m.n_classes = n_classes;
  m.per_step = stats.per_step;
  const torch::Tensor& x = train_x.defined() ? train_x : test_x;
  if (input == TaskInput::Image) m.image = {x.size(1), x.size(2), x.size(3)};
  return m;
}

}  // namespace spikessm

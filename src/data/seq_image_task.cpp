#include "spikessm/data/seq_image_task.h"

#include "spikessm/common/error.h"
#include "spikessm/data/image_set.h"
#include "spikessm/data/pixel_sequence.h"

namespace spikessm {

std::string default_data_dir(const std::string& dataset) {
  if (dataset == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";  // Debian package
  return "";
}

static ImageSet take_first(ImageSet s, int64_t limit) {
  if (limit > 0 && limit < s.images.size(0)) {
    s.images = s.images.narrow(0, 0, limit);
    s.labels = s.labels.narrow(0, 0, limit);
  }
  return s;
}

SeqImageTask load_seq_image_task(const DataOptions& o, TaskSplits splits,
                                 const TrainSplitStats& saved) {
  const std::string dataset = o.dataset;
  std::string dir = o.dir;
  if (dir.empty()) dir = default_data_dir(dataset);
  require(!dir.empty(), "data.dir",
          "no default directory for dataset '" + dataset +
              "': set data.dir to the folder of its IDX files");
  PixelSequenceOptions opt;
  opt.pool = int(o.pool);
  opt.permute = o.permute;
  opt.permutation_seed = o.permutation_seed;
  SeqImageTask t;
  ImageSet test;
  if (splits == TaskSplits::All || saved.empty()) {
    auto train = take_first(load_idx_image_set(dir, true), o.train_limit);
    test = take_first(load_idx_image_set(dir, false), o.test_limit);
    require_training_size(test, train.images.size(1), train.images.size(2),
                          "the training images " + train.images_path);
    // Standardise with the pixel statistics of the training split.
    auto raw = train.images.to(torch::kFloat) / 255.0;
    opt.mean = raw.mean().item<float>();
    opt.std = raw.std().item<float>();
    t.stats = {{opt.mean}, {opt.std}, train.images.size(1), train.images.size(2)};
    if (splits == TaskSplits::All) {
      t.train_x = to_pixel_sequences(train.images, opt);
      t.train_y = train.labels;
    }
  } else {
    require(saved.mean.size() == 1, "data.dataset",
            dataset + " has one channel, the checkpoint's training statistics " +
                std::to_string(saved.mean.size()));
    test = take_first(load_idx_image_set(dir, false), o.test_limit);
    require_training_size(test, saved.height, saved.width, "the training images of the checkpoint");
    opt.mean = float(saved.mean[0]);
    opt.std = float(saved.std[0]);
    t.stats = saved;
  }
  t.test_x = to_pixel_sequences(test.images, opt);
  t.test_y = test.labels;
  t.L = t.test_x.size(1);
  t.description =
      dataset + (opt.permute ? " (permuted)" : "") + ", L = " + std::to_string(t.L) + ", " +
      (t.train_x.defined() ? std::to_string(t.train_x.size(0)) + " train / " : std::string()) +
      std::to_string(t.test_x.size(0)) + " test";
  return t;
}

}  // namespace spikessm

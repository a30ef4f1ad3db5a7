// Building the test split alone (evaluation): only the test files are read, and the test
// inputs are exactly those of a full build; image sets take the training split's statistics
// saved with the model. Image sets of two sizes are refused, naming both files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/data/task.h"
#include "test_util.h"

using namespace spikessm;
namespace fs = std::filesystem;

namespace {

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

// An IDX file of n images of h x w (or n labels when h == 0), deterministic bytes.
std::string idx(uint32_t n, uint32_t h, uint32_t w, int salt) {
  std::string s{'\0', '\0', '\x08', char(h ? 3 : 1)};
  s += be32(n);
  if (h) s += be32(h) + be32(w);
  const uint32_t count = h ? n * h * w : n;
  for (uint32_t i = 0; i < count; ++i) s += char(h ? (i * 37 + salt) % 251 : (i + salt) % 10);
  return s;
}

void write_idx_set(const fs::path& dir, bool train, uint32_t n, uint32_t side, int salt) {
  fs::create_directories(dir);
  const std::string split = train ? "train" : "t10k";
  spikessm::testing::write_file(dir / (split + "-images-idx3-ubyte"), idx(n, side, side, salt));
  spikessm::testing::write_file(dir / (split + "-labels-idx1-ubyte"), idx(n, 0, 0, salt));
}

// A copy of the test files of a fixture folder, without its other splits.
fs::path test_files_only(const fs::path& from, const std::vector<std::string>& files,
                         const fs::path& to) {
  for (const auto& f : files) {
    fs::create_directories((to / f).parent_path());
    fs::copy(from / f, to / f, fs::copy_options::recursive);
  }
  return to;
}

Config task_config(const std::string& dataset, const fs::path& dir) {
  Config c;
  c.set("data.dataset=" + dataset);
  c.set("data.dir=" + dir.string());
  return c;
}

void expect_same_test_split(const Task& full, const Task& alone, const std::string& what) {
  EXPECT_FALSE(alone.train_x.defined()) << what;
  EXPECT_FALSE(alone.val_x.defined()) << what;
  EXPECT_TRUE(alone.test_x.equal(full.test_x)) << what;
  EXPECT_TRUE(alone.test_y.equal(full.test_y)) << what;
  EXPECT_EQ(alone.model_input().d_input, full.model_input().d_input) << what;
}

}  // namespace

TEST(TaskSplits, TokenTasksReadOnlyTheTestFiles) {
  const auto dir = spikessm::testing::scratch_dir("splits_tokens");
  const fs::path lra = spikessm::testing::fixture("lra");
  struct Case {
    std::string dataset, folder;
    std::vector<std::string> test_files;
  };
  for (const Case& c : std::vector<Case>{{"listops", "listops", {"basic_test.tsv"}},
                                         {"aan", "aan", {"new_aan_pairs.test.tsv"}},
                                         {"imdb", "aclImdb", {"test"}}}) {
    const Task full = load_task(task_config(c.dataset, lra / c.folder));
    const auto only = test_files_only(lra / c.folder, c.test_files, dir / c.folder);
    expect_same_test_split(full, load_task(task_config(c.dataset, only), TaskSplits::TestOnly),
                           c.dataset);
    EXPECT_THROW(load_task(task_config(c.dataset, only)), InputError) << c.dataset;
  }
  fs::remove_all(dir);
}

TEST(TaskSplits, ImageSetsTakeTheSavedTrainingStatistics) {
  const auto dir = spikessm::testing::scratch_dir("splits_idx");
  write_idx_set(dir / "all", true, 20, 8, 1);
  write_idx_set(dir / "all", false, 10, 8, 2);
  write_idx_set(dir / "test_only", false, 10, 8, 2);
  for (const char* layout : {"sequence", "image"}) {
    Config c = task_config("mnist", dir / "all");
    c.set(std::string("data.layout=") + layout);
    const Task full = load_task(c);
    ASSERT_FALSE(full.stats.empty()) << layout;
    EXPECT_EQ(full.stats.height, 8);
    const Config saved_stats = [&] {
      Config s = c;
      s.set("data.dir=" + (dir / "test_only").string());
      return s;
    }();
    const auto stats = train_split_stats_from_json(to_json(full.stats), "checkpoint.pt");
    expect_same_test_split(full, load_task(saved_stats, TaskSplits::TestOnly, stats), layout);
    // Without saved statistics (an older checkpoint) the training files are needed.
    EXPECT_THROW(load_task(saved_stats, TaskSplits::TestOnly), InputError) << layout;
    auto other = stats;
    other.width = 28;
    try {
      load_task(saved_stats, TaskSplits::TestOnly, other);
      ADD_FAILURE() << layout << ": a test set of another size was accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()),
                (dir / "test_only" / "t10k-images-idx3-ubyte").string() +
                    ": 8x8 images, but the training images of the checkpoint are 8x28 (expected "
                    "test images of the training size)");
    }
  }
  fs::remove_all(dir);
}

TEST(TaskSplits, TrainingAndTestImagesOfTwoSizesAreRefused) {
  const auto dir = spikessm::testing::scratch_dir("splits_sizes");
  write_idx_set(dir, true, 20, 14, 1);
  write_idx_set(dir, false, 10, 28, 2);
  for (const char* layout : {"sequence", "image"}) {
    Config c = task_config("mnist", dir);
    c.set(std::string("data.layout=") + layout);
    try {
      load_task(c);
      ADD_FAILURE() << layout << ": trained at 14x14, tested at 28x28";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), (dir / "t10k-images-idx3-ubyte").string() +
                                           ": 28x28 images, but the training images " +
                                           (dir / "train-images-idx3-ubyte").string() +
                                           " are 14x14 (expected test images of the training "
                                           "size)");
    }
  }
  fs::remove_all(dir);
}

TEST(TaskSplits, EvalOfAListOpsCheckpointNeedsOnlyTheTestFile) {
  const auto dir = spikessm::testing::scratch_dir("splits_eval_listops");
  const fs::path lra = spikessm::testing::fixture("lra/listops");
  const std::string run = (dir / "run").string();
  auto r = spikessm::testing::run_cli(
      "train --set data.dataset=listops --set data.dir=" + lra.string() +
      " --set model.n_layers=1 --set model.d_model=8 --set model.d_state=4"
      " --set train.batch_size=1 --set train.max_steps=2"
      " --set train.out_dir=" +
      run);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto only = test_files_only(lra, {"basic_test.tsv"}, dir / "test_only");
  auto full = spikessm::testing::run_cli("eval --checkpoint " + run + "/checkpoint.pt --json " +
                                         (dir / "full.json").string());
  ASSERT_EQ(full.code, 0) << full.out;
  r = spikessm::testing::run_cli("eval --checkpoint " + run + "/checkpoint.pt --set data.dir=" +
                                 only.string() + " --json " + (dir / "alone.json").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_file_bytes((dir / "alone.json").string()),
            read_file_bytes((dir / "full.json").string()));
  fs::remove_all(dir);
}

#pragma once
// Which splits a task builds, and what its test inputs take from its training split.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spikessm {

// Training builds every split; evaluation builds only the test split: it reads only the test
// files where a task keeps its splits in files of their own (IDX sets, ListOps, IMDB, AAN,
// arrays with data.test), and decodes only the test members where one file or folder holds
// every split (Pathfinder, the CIFAR and FSDD tars).
enum class TaskSplits { All, TestOnly };

// What the test inputs take from the training split: the standardisation (one mean and std per
// channel, over the training rows kept by data.train_limit), an image set's image size, and
// for arrays the class names in id order (or the number of regression targets) and the token
// vocabulary. Saved in checkpoints, so
// that evaluating the test split needs no training file.
struct TrainSplitStats {
  std::vector<double> mean, std;
  int64_t height = 0, width = 0;     // image sets only
  std::vector<std::string> classes;  // arrays: label text of class id 0, 1, ...
  int64_t vocab = 0;                 // arrays of token ids: the encoder's d_input
  int64_t targets = 0;               // arrays regression: values per row or step (0: classes)
  bool per_step = false;             // arrays: a class or targets per step, not per row
  bool empty() const { return mean.empty() && classes.empty() && targets == 0; }
};

nlohmann::json to_json(const TrainSplitStats& s);
// InputError naming `where` when j is not what to_json writes.
TrainSplitStats train_split_stats_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace spikessm

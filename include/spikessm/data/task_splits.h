#pragma once
// Which splits a task builds, and what its test inputs take from its training split.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spikessm {

// Training builds every split; evaluation builds only the test split, and reads only the test
// files where the task keeps that split in files of its own (IDX sets, ListOps, IMDB, AAN).
// Tasks kept in one file (Pathfinder's folder, the CIFAR and FSDD tars) read it whole.
enum class TaskSplits { All, TestOnly };

// What the test inputs of an image set take from its training split: the standardisation (one
// mean and std per channel, over the training images kept by data.train_limit) and the image
// size. Saved in checkpoints, so that evaluating the test split needs no training file.
struct TrainSplitStats {
  std::vector<double> mean, std;
  int64_t height = 0, width = 0;
  bool empty() const { return mean.empty(); }
};

nlohmann::json to_json(const TrainSplitStats& s);
// InputError naming `where` when j is not what to_json writes.
TrainSplitStats train_split_stats_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace spikessm

#include "spikessm/data/task_splits.h"

#include <cmath>

#include "spikessm/common/error.h"

namespace spikessm {

nlohmann::json to_json(const TrainSplitStats& s) {
  return {{"mean", s.mean}, {"std", s.std}, {"height", s.height}, {"width", s.width}};
}

TrainSplitStats train_split_stats_from_json(const nlohmann::json& j, const std::string& where) {
  TrainSplitStats s;
  try {
    s.mean = j.at("mean").get<std::vector<double>>();
    s.std = j.at("std").get<std::vector<double>>();
    s.height = j.at("height").get<int64_t>();
    s.width = j.at("width").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": checkpoint train_split is malformed (" + std::string(e.what()) +
                     ")");
  }
  bool ok = !s.mean.empty() && s.mean.size() == s.std.size() && s.mean.size() <= 4 &&
            s.height > 0 && s.width > 0 && s.height <= 65536 && s.width <= 65536;
  for (size_t c = 0; ok && c < s.mean.size(); ++c)
    ok = std::isfinite(s.mean[c]) && std::isfinite(s.std[c]) && s.std[c] > 0;
  require(ok, where,
          "checkpoint train_split holds impossible statistics (expected 1 to 4 channels with a "
          "finite mean and a positive std, and an image size)");
  return s;
}

}  // namespace spikessm

#include "spikessm/data/task_splits.h"

#include <cmath>
#include <set>

#include "spikessm/common/error.h"

namespace spikessm {

nlohmann::json to_json(const TrainSplitStats& s) {
  nlohmann::json j = {{"mean", s.mean}, {"std", s.std}, {"height", s.height}, {"width", s.width}};
  if (!s.classes.empty()) j["classes"] = s.classes;
  if (s.vocab > 0) j["vocab"] = s.vocab;
  if (s.targets > 0) j["targets"] = s.targets;
  if (s.per_step) j["per_step"] = true;
  return j;
}

TrainSplitStats train_split_stats_from_json(const nlohmann::json& j, const std::string& where) {
  TrainSplitStats s;
  try {
    s.mean = j.at("mean").get<std::vector<double>>();
    s.std = j.at("std").get<std::vector<double>>();
    s.height = j.at("height").get<int64_t>();
    s.width = j.at("width").get<int64_t>();
    if (j.contains("classes")) s.classes = j.at("classes").get<std::vector<std::string>>();
    if (j.contains("vocab")) s.vocab = j.at("vocab").get<int64_t>();
    if (j.contains("targets")) s.targets = j.at("targets").get<int64_t>();
    if (j.contains("per_step")) s.per_step = j.at("per_step").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": checkpoint train_split is malformed (" + std::string(e.what()) +
                     ")");
  }
  const bool image = s.height > 0 || s.width > 0;
  bool ok = s.mean.size() == s.std.size() && s.mean.size() <= (image ? 4u : 65536u) &&
            (!image || (!s.mean.empty() && s.height <= 65536 && s.width > 0 && s.width <= 65536 &&
                        s.height > 0)) &&
            (image || !s.mean.empty() || !s.classes.empty() || s.targets > 0) && s.targets >= 0 &&
            s.targets <= 65536 && (s.targets == 0 || s.classes.empty()) && s.vocab >= 0 &&
            s.vocab <= (int64_t(1) << 24) && s.classes.size() <= (size_t(1) << 24) &&
            std::set<std::string>(s.classes.begin(), s.classes.end()).size() == s.classes.size() &&
            (!s.per_step || !s.classes.empty() || s.targets > 0);
  for (size_t c = 0; ok && c < s.mean.size(); ++c)
    ok = std::isfinite(s.mean[c]) && std::isfinite(s.std[c]) && s.std[c] > 0;
  require(ok, where,
          "checkpoint train_split holds impossible statistics (expected per-channel finite means "
          "and positive stds, at most 4 channels with an image size, and distinct class names)");
  return s;
}

}  // namespace spikessm

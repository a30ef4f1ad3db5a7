#pragma once
// `spikessm eval` as a library call: a checkpoint of any family on its test split, with spike
// statistics and the energy estimate.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spikessm {

struct CheckpointEvaluation {
  std::string report;    // what `spikessm eval` prints
  nlohmann::json stats;  // what `spikessm eval --json` writes
};

// sets: "key=value" overrides of the saved config (data.dir, lm.data_dir, eval keys).
CheckpointEvaluation evaluate_checkpoint(const std::string& path,
                                         const std::vector<std::string>& sets);

}  // namespace spikessm

#pragma once
// `spikessm eval` as a library call: a checkpoint of any family on its test split, with spike
// statistics and the energy estimate.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spikessm {

struct CheckpointEvaluation {
  std::string report;    // what `spikessm eval` prints
  nlohmann::json stats;  // what `spikessm eval --json` writes
  torch::Tensor logits;  // classifiers, when asked: the test logits (N, n_classes)
};

// sets: "key=value" overrides of the saved config (data.dir, lm.data_dir, eval keys).
// keep_logits: also return a classifier's test logits (InputError for a language model).
CheckpointEvaluation evaluate_checkpoint(const std::string& path,
                                         const std::vector<std::string>& sets,
                                         bool keep_logits = false);

}  // namespace spikessm

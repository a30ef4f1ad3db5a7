#pragma once
// The state files of `generate` and `stream` (--state-out / --state-in): the checksummed
// container of common/checkpoint_format.h with two sections, "<kind>_state_info" (JSON) and
// "<kind>_state_tensors" (a torch::save'd tensor list). Written atomically.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace spikessm {

void save_state_file(const std::string& path, const std::string& kind, const nlohmann::json& info,
                     const std::vector<torch::Tensor>& tensors);

struct StateFile {
  nlohmann::json info;
  std::vector<torch::Tensor> tensors;
};
// InputError naming `path` when it is missing, damaged, or not a `kind` state file;
// `writer` says what writes one (e.g. "generate --state-out"). The caller checks the contents.
StateFile load_state_file(const std::string& path, const std::string& kind,
                          const std::string& writer);

}  // namespace spikessm

#pragma once
// Checkpoints: model, optimizer, the config that built them and the step they stopped at.
// Written to "<path>.tmp" then renamed, so a crash never leaves a half-written file and the
// previous checkpoint survives until the new one is complete.
#include <torch/torch.h>

#include <string>

namespace spikessm {

struct CheckpointMeta {
  std::string config_toml;  // Config::to_toml() of the run
  int64_t step = 0;         // optimizer steps taken
  int64_t format = 1;
};

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const CheckpointMeta& meta);

// Reads only the metadata (to rebuild the model before loading its weights).
CheckpointMeta read_checkpoint_meta(const std::string& path);

// Loads weights (and optimizer state when given); InputError when the file is missing,
// corrupt or does not match the model.
void load_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer);

}  // namespace spikessm

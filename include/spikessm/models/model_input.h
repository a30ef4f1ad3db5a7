#pragma once
// What a model needs to know of its task's inputs. data/ fills it from a Task
// (Task::model_input()); models never see a Task.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spikessm/common/kinds.h"

namespace spikessm {

enum class TaskInput { Signal, Tokens, TokenPairs, Image };
SPIKESSM_NAMES(TaskInput, "input kind", EnumName<TaskInput>{TaskInput::Signal, "signal"},
               EnumName<TaskInput>{TaskInput::Tokens, "tokens"},
               EnumName<TaskInput>{TaskInput::TokenPairs, "token_pairs"},
               EnumName<TaskInput>{TaskInput::Image, "image"});

struct ModelInput {
  TaskInput kind = TaskInput::Signal;
  int64_t d_input = 1;  // features per step (signal) or vocabulary size (tokens)
  int64_t n_classes = 10;
  std::vector<int64_t> image;  // (C, H, W) of image inputs, else empty
  bool per_step = false;       // a prediction every step (sequence models), not one a sequence
};

// Saved in checkpoints, so that a model is rebuilt without reading its data.
nlohmann::json to_json(const ModelInput& m);
// InputError naming `where` when j is not what to_json writes.
ModelInput model_input_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace spikessm

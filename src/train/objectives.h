#pragma once
// The objectives of the model families (train/objective.h), built by make_objective().
#include <memory>

#include "spikessm/train/objective.h"

namespace spikessm {

std::unique_ptr<Objective> make_classifier_objective(const Config& cfg);
// checkpoint_dir: where a resumed run's tokenizer is ("" for a new run).
std::unique_ptr<Objective> make_lm_objective(const Config& cfg, const std::string& checkpoint_dir);

}  // namespace spikessm

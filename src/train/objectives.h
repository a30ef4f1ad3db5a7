#pragma once
// The objectives of the model families (train/objective.h), built by make_objective().
#include <memory>

#include "spikessm/data/task.h"
#include "spikessm/models/classifier.h"
#include "spikessm/models/language_model.h"
#include "spikessm/text/lm_data.h"
#include "spikessm/train/objective.h"

namespace spikessm {

std::unique_ptr<Objective> make_classifier_objective(const TrainOptions& o, Task task,
                                                     Classifier model);
std::unique_ptr<Objective> make_lm_objective(const TrainOptions& o, LmData data,
                                             LanguageModel model);

}  // namespace spikessm

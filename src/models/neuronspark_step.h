#pragma once
// The step engine of neuronspark_lm (lm_step_engine.h): built by LmStepEngine::build.
#include <memory>

#include "spikessm/models/lm_step_engine.h"
#include "spikessm/models/neuronspark_lm.h"

namespace spikessm {

// The model in float32 or float64, in eval mode; null for another dtype.
std::unique_ptr<LmStepEngine> neuronspark_step_engine(NeuronSparkLmImpl& model);

}  // namespace spikessm

#pragma once
// Language models built from a Config by model.family.
#include "spikessm/common/config.h"
#include "spikessm/models/language_model.h"
#include "spikessm/models/neuronspark_lm.h"

namespace spikessm {

// model.family = spiking_ssm_lm | neuronspark_lm; vocab from the tokenizer.
LanguageModel build_language_model(const Config& cfg, int64_t vocab);

// NeuronSpark's options from the neuronspark.* keys.
NeuronSparkLmOptions neuronspark_options(const Config& cfg, int64_t vocab);

// True when model.family names a language model (train/eval dispatch on it).
bool is_language_model(const Config& cfg);

}  // namespace spikessm

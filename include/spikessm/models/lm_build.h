#pragma once
// Language models built from a Config by model.family.
#include "spikessm/io/config.h"
#include "spikessm/models/language_model.h"

namespace spikessm {

// model.family = spiking_ssm_lm | neuronspark_lm; vocab from the tokenizer.
LanguageModel build_language_model(const Config& cfg, int64_t vocab);

// True when model.family names a language model (train/eval dispatch on it).
bool is_language_model(const Config& cfg);

}  // namespace spikessm

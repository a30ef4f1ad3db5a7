#pragma once
// A language model back from its checkpoint: the config it was trained with, the model with
// its weights, and the tokenizer saved next to the checkpoint.
#include <memory>
#include <string>
#include <vector>

#include "spikessm/io/config.h"
#include "spikessm/models/language_model.h"
#include "spikessm/text/tokenizer.h"

namespace spikessm {

struct LoadedLm {
  Config cfg;
  LanguageModel model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// sets: "key=value" overrides applied to the saved config (e.g. lm.data_dir). InputError when
// the checkpoint is not a language model's or its tokenizer is missing.
LoadedLm load_lm_checkpoint(const std::string& path, const std::vector<std::string>& sets);

// True when the checkpoint's config names a language model (eval dispatches on it).
bool checkpoint_is_lm(const std::string& path);

}  // namespace spikessm

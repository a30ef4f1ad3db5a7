#pragma once
// A trained model back from its checkpoint, of any family, in one call: the config it was
// trained with (plus overrides), the model with its weights in eval mode, what it reads
// (a classifier's ModelInput, a language model's tokenizer saved next to the checkpoint).
#include <memory>
#include <string>
#include <vector>

#include "spikessm/common/checkpoint_format.h"
#include "spikessm/common/config.h"
#include "spikessm/data/task.h"
#include "spikessm/models/classifier.h"
#include "spikessm/models/language_model.h"
#include "spikessm/models/model_input.h"
#include "spikessm/text/tokenizer.h"
#include "spikessm/train/train_options.h"

namespace spikessm {

struct TrainedModel {
  std::string path;
  Config cfg;
  TrainOptions train;  // cfg's training options (evaluation batch and windows)
  CheckpointMeta meta;
  ModelInput input;                      // classifiers: the shape facts the model was built for
  Classifier classifier;                 // set for the classifier families
  LanguageModel lm;                      // set for the language models
  std::unique_ptr<Tokenizer> tokenizer;  // language models
  bool is_language_model() const { return lm != nullptr; }
  torch::nn::Module& module() { return lm ? static_cast<torch::nn::Module&>(*lm) : *classifier; }
};

// sets: "key=value" overrides applied to the saved config (e.g. data.dir, lm.data_dir).
// InputError when the file is missing, corrupt, or does not match the model its config builds.
// A classifier checkpoint from before ModelInput was saved reads its task's data to rebuild it.
TrainedModel load_trained_model(const std::string& path, const std::vector<std::string>& sets = {});

// Writes `m` as a weights-only checkpoint at `path`: the config, step, and what eval needs to
// rebuild the model and read its data (a classifier's model input and training-split
// statistics; a language model's tokenizer, next to the file). No optimizer state, RNG of the
// run or data order: eval, generate, stream, export and spikessm.load read it, resume does not.
void save_trained_model(TrainedModel& m, const std::string& path);

// A classifier's test split, and only it: an image set takes the training split's statistics
// saved in the checkpoint (an older checkpoint without them reads the training files for them).
Task load_test_split(const TrainedModel& m);

}  // namespace spikessm

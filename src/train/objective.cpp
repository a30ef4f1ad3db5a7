#include "spikessm/train/objective.h"

#include "spikessm/models/lm_build.h"
#include "spikessm/train/trainer.h"
#include "objectives.h"

namespace spikessm {

std::unique_ptr<Objective> make_objective(const Config& cfg, const TrainRunOptions& run,
                                          bool have_checkpoint) {
  if (!is_language_model(cfg)) return make_classifier_objective(cfg);
  // A resumed run reuses the saved tokenizer (BPE training need not be reproducible).
  return make_lm_objective(cfg,
                           run.resume && have_checkpoint ? cfg.get_string("train.out_dir") : "");
}

}  // namespace spikessm

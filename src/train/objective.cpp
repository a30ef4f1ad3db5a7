#include "spikessm/train/objective.h"

#include "spikessm/data/task.h"
#include "spikessm/models/build.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/text/lm_data.h"
#include "objectives.h"

namespace spikessm {

std::unique_ptr<Objective> make_objective(const Config& cfg, const TrainOptions& opts,
                                          bool resuming) {
  if (!is_language_model(cfg)) {
    Task task = load_task(cfg);
    auto model = build_model(cfg, task.model_input());
    return make_classifier_objective(opts, std::move(task), std::move(model));
  }
  // A resumed run reuses the saved tokenizer (BPE training need not be reproducible).
  LmData data = load_lm_data(lm_data_options(cfg), resuming ? opts.loop.out_dir : "");
  auto model = build_language_model(cfg, data.tokenizer->vocab_size());
  return make_lm_objective(opts, std::move(data), std::move(model));
}

}  // namespace spikessm

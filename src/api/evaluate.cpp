#include "spikessm/api/evaluate.h"

#include <cstdio>

#include "spikessm/common/error.h"

#include "spikessm/data/task.h"
#include "spikessm/text/lm_data.h"
#include "spikessm/train/lm_eval.h"
#include "spikessm/train/trained_model.h"
#include "spikessm/train/trainer.h"

namespace spikessm {
namespace {

CheckpointEvaluation evaluate_classifier(TrainedModel& m, bool keep_logits) {
  const Task task = load_test_split(m);
  const auto r = evaluate(*m.classifier, task.test_x, task.test_y, m.train.eval_batch, true, true,
                          keep_logits);
  CheckpointEvaluation out{"data: " + task.description + "\n" + eval_headline(r) + r.ops.to_table(),
                           r.ops.to_json()};
  if (r.regression) out.stats.update({{"mse", r.loss}, {"mae", r.mae}, {"r2", r.r2}});
  out.stats["accuracy"] = r.accuracy;
  out.stats["loss"] = r.loss;
  out.stats["samples"] = r.samples;
  if (r.per_step) out.stats.update({{"per_step", true}, {"steps", r.units}});
  out.logits = r.logits;
  return out;
}

CheckpointEvaluation evaluate_language_model(TrainedModel& m) {
  const auto corpus = load_corpus(lm_data_options(m.cfg).data_dir, CorpusSplits::TestOnly);
  const LmEvalWindows& win = m.train.lm.windows;
  auto ids = to_token_tensor(m.tokenizer->encode(corpus.test));
  const auto r = evaluate_lm(*m.lm, ids, win.context, win.stride, m.train.eval_batch,
                             int64_t(corpus.test.size()), count_words(corpus.test), true, true);
  char head[512];
  std::snprintf(head, sizeof head, "data: %s; %s tokenizer; model %s%s\n",
                corpus.description.c_str(), m.tokenizer->kind().c_str(), m.lm->family().c_str(),
                m.lm->spiking() ? "" : " (non-spiking)");
  CheckpointEvaluation out{head + lm_eval_text(r, "test"), r.to_json()};
  out.stats["split"] = "test";
  out.stats["family"] = m.lm->family();
  out.stats["spiking"] = m.lm->spiking();
  return out;
}

}  // namespace

CheckpointEvaluation evaluate_checkpoint(const std::string& path,
                                         const std::vector<std::string>& sets, bool keep_logits) {
  TrainedModel m = load_trained_model(path, sets);
  require(!keep_logits || !m.is_language_model(), "--logits",
          "is for classifiers; " + path + " holds a language model");
  return m.is_language_model() ? evaluate_language_model(m) : evaluate_classifier(m, keep_logits);
}

}  // namespace spikessm

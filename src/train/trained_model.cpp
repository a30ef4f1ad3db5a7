#include "spikessm/train/trained_model.h"

#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/data/task.h"
#include "spikessm/models/build.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/train/checkpoint.h"

namespace spikessm {

TrainedModel load_trained_model(const std::string& path, const std::vector<std::string>& sets) {
  TrainedModel r;
  r.path = path;
  r.meta = read_checkpoint_meta(path);
  r.cfg.merge_string(r.meta.config_toml, path);
  for (const auto& s : sets) r.cfg.set(s);
  r.train = train_options(r.cfg);
  torch::manual_seed(r.train.loop.seed);
  if (is_language_model(r.cfg)) {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    r.tokenizer = load_tokenizer(dir.empty() ? "." : dir);
    r.lm = build_language_model(r.cfg, r.tokenizer->vocab_size());
  } else {
    const auto saved = r.meta.state.find("model_input");
    r.input = saved != r.meta.state.end() ? model_input_from_json(*saved, path)
                                          : load_task(r.cfg).model_input();
    r.classifier = build_model(r.cfg, r.input);
  }
  load_checkpoint(path, r.module(), nullptr);
  r.module().eval();
  return r;
}

void save_trained_model(TrainedModel& m, const std::string& path) {
  CheckpointMeta meta{m.meta.config_toml, m.meta.step};
  if (!m.is_language_model()) {
    meta.state["model_input"] = to_json(m.input);
    // The test split is standardised with the training split's statistics (image sets).
    if (const auto s = m.meta.state.find("train_split"); s != m.meta.state.end())
      meta.state["train_split"] = *s;
  }
  save_checkpoint(path, m.module(), nullptr, meta);
  if (m.tokenizer) {
    const auto dir = std::filesystem::path(path).parent_path();
    m.tokenizer->save(dir.empty() ? "." : dir.string());
  }
}

Task load_test_split(const TrainedModel& m) {
  const auto saved = m.meta.state.find("train_split");
  const TrainSplitStats stats =
      saved != m.meta.state.end() ? train_split_stats_from_json(*saved, m.path) : TrainSplitStats{};
  return load_task(m.cfg, TaskSplits::TestOnly, stats);
}

}  // namespace spikessm

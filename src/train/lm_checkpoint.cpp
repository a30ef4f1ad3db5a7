#include "spikessm/train/lm_checkpoint.h"

#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/models/lm_build.h"
#include "spikessm/train/checkpoint.h"

namespace spikessm {

bool checkpoint_is_lm(const std::string& path) {
  Config cfg;
  cfg.merge_string(read_checkpoint_meta(path).config_toml, path);
  return is_language_model(cfg);
}

LoadedLm load_lm_checkpoint(const std::string& path, const std::vector<std::string>& sets) {
  LoadedLm r;
  r.cfg.merge_string(read_checkpoint_meta(path).config_toml, path);
  for (const auto& s : sets) r.cfg.set(s);
  require(is_language_model(r.cfg), path, "is a classifier checkpoint, not a language model's");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  r.tokenizer = load_tokenizer(dir.empty() ? "." : dir);
  torch::manual_seed(uint64_t(r.cfg.get_int("train.seed")));
  r.model = build_language_model(r.cfg, r.tokenizer->vocab_size());
  load_checkpoint(path, *r.model, nullptr);
  r.model->eval();
  return r;
}

}  // namespace spikessm

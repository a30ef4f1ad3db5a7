#include "spikessm/models/lm_build.h"

#include "spikessm/common/error.h"
#include "spikessm/models/spiking_ssm_lm.h"

namespace spikessm {

bool is_language_model(const Config& cfg) { return cfg.get_string("model.family") != "classifier"; }

LanguageModel build_language_model(const Config& cfg, int64_t vocab) {
  const std::string family = cfg.get_string("model.family");
  if (family == "spiking_ssm_lm") return build_spiking_ssm_lm(cfg, vocab);
  // neuronspark_lm: its builder (models/neuronspark_lm.h) is dispatched here when merged.
  throw InputError("model.family: '" + family + "' is not built into this binary (expected spiking_ssm_lm)");
}

}  // namespace spikessm

#include "spikessm/models/lm_build.h"

#include "spikessm/common/error.h"
#include "spikessm/models/neuronspark_lm.h"
#include "spikessm/models/spiking_ssm_lm.h"

namespace spikessm {

bool is_language_model(const Config& cfg) {
  const std::string family = cfg.get_string("model.family");
  return family == "spiking_ssm_lm" || family == "neuronspark_lm";
}

LanguageModel build_language_model(const Config& cfg, int64_t vocab) {
  const std::string family = cfg.get_string("model.family");
  if (family == "spiking_ssm_lm") return build_spiking_ssm_lm(cfg, vocab);
  if (family == "neuronspark_lm") return build_neuronspark_lm(cfg, vocab);
  throw InputError("model.family: '" + family + "' is not a language model (expected spiking_ssm_lm or neuronspark_lm)");
}

}  // namespace spikessm

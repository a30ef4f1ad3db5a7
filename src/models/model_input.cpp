#include "spikessm/models/model_input.h"

#include "spikessm/common/error.h"

namespace spikessm {

nlohmann::json to_json(const ModelInput& m) {
  nlohmann::json j = {{"kind", to_string(m.kind)},
                      {"d_input", m.d_input},
                      {"n_classes", m.n_classes},
                      {"image", m.image}};
  if (m.per_step) j["per_step"] = true;
  return j;
}

ModelInput model_input_from_json(const nlohmann::json& j, const std::string& where) {
  ModelInput m;
  try {
    m.kind =
        parse_enum<TaskInput>(j.at("kind").get<std::string>(), where + ": checkpoint model_input");
    m.d_input = j.at("d_input").get<int64_t>();
    m.n_classes = j.at("n_classes").get<int64_t>();
    m.image = j.at("image").get<std::vector<int64_t>>();
    if (j.contains("per_step")) m.per_step = j.at("per_step").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": checkpoint model_input is malformed (" + std::string(e.what()) +
                     ")");
  }
  // Bounds as large as any model here takes, so that a damaged entry cannot ask the builder
  // for terabytes.
  constexpr int64_t kMax = int64_t(1) << 24;
  bool ok = m.d_input > 0 && m.d_input <= kMax && m.n_classes > 0 && m.n_classes <= kMax &&
            (m.image.empty() || m.image.size() == 3);
  for (int64_t d : m.image) ok = ok && d > 0 && d <= 65536;
  require(ok, where,
          "checkpoint model_input has impossible sizes (d_input and n_classes 1.." +
              std::to_string(kMax) + ", image (C, H, W) each 1..65536)");
  return m;
}

}  // namespace spikessm

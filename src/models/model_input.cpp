#include "spikessm/models/model_input.h"

#include "spikessm/common/error.h"

namespace spikessm {

nlohmann::json to_json(const ModelInput& m) {
  return {{"kind", to_string(m.kind)},
          {"d_input", m.d_input},
          {"n_classes", m.n_classes},
          {"image", m.image}};
}

ModelInput model_input_from_json(const nlohmann::json& j, const std::string& where) {
  ModelInput m;
  try {
    m.kind =
        parse_enum<TaskInput>(j.at("kind").get<std::string>(), where + ": checkpoint model_input");
    m.d_input = j.at("d_input").get<int64_t>();
    m.n_classes = j.at("n_classes").get<int64_t>();
    m.image = j.at("image").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": checkpoint model_input is malformed (" + std::string(e.what()) +
                     ")");
  }
  require(m.d_input > 0 && m.n_classes > 0 && (m.image.empty() || m.image.size() == 3), where,
          "checkpoint model_input has impossible sizes");
  return m;
}

}  // namespace spikessm

// The folded SDN weights as a small versioned JSON file.
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/neurons/sdn.h"

namespace spikessm {

extern const char* const kBuiltinSdnJson;  // generated from weights/sdn_tau0.125.json

namespace {

constexpr const char* kFormat = "spikessm-sdn";
constexpr int kVersion = 1;

nlohmann::json to_json(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat32).contiguous();
  std::vector<float> v(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return v;
}

torch::Tensor from_json(const nlohmann::json& j, const char* key, std::vector<int64_t> shape,
                        const std::string& where) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  if (!j.contains(key) || !j[key].is_array() || int64_t(j[key].size()) != n)
    throw InputError(where + ": '" + key + "' must be an array of " + std::to_string(n) +
                     " numbers");
  std::vector<float> v;
  for (const auto& e : j[key]) {
    if (!e.is_number()) throw InputError(where + ": '" + key + "' holds a non-number");
    // Range-check as double: converting an out-of-range double to float is undefined.
    const double x = e.get<double>();
    if (!(std::abs(x) <= std::numeric_limits<float>::max()))
      throw InputError(where + ": '" + key + "' holds " + e.dump() + ", not a finite float");
    v.push_back(float(x));
  }
  return torch::tensor(v).view(shape);
}

}  // namespace

SdnWeights parse_sdn_weights(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  // value() throws nlohmann's type_error on a key of another type: test the types first.
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat)
    throw InputError(where + ": not an SDN weights file (expected \"format\": \"" + kFormat +
                     "\")");
  if (!j.contains("version") || j["version"] != kVersion)
    throw InputError(where + ": unsupported SDN weights version (expected " +
                     std::to_string(kVersion) + ")");
  if (!j.contains("tau") || !j["tau"].is_number() || !(j["tau"].get<double>() > 0) ||
      j["tau"].get<double>() > 1)
    throw InputError(where + ": 'tau' must be a number in (0, 1]");
  SdnWeights w;
  w.tau = j["tau"].get<float>();
  w.w1 = from_json(j, "w1", {kSdnWidth, kSdnTaps}, where);
  w.b1 = from_json(j, "b1", {kSdnWidth}, where);
  w.w2 = from_json(j, "w2", {kSdnWidth, kSdnWidth}, where);
  w.b2 = from_json(j, "b2", {kSdnWidth}, where);
  w.w3 = from_json(j, "w3", {kSdnWidth}, where);
  w.b3 = from_json(j, "b3", {1}, where);
  if (j.contains("provenance")) w.provenance = j["provenance"].dump();
  return w;
}

SdnWeights load_sdn_weights(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open SDN weights file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_sdn_weights(ss.str(), path);
}

void save_sdn_weights(const SdnWeights& w, const std::string& path) {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["tau"] = w.tau;
  j["v_th"] = 1.0;
  j["architecture"] =
      "folded SDN: m_t = b3 + w3 . relu(b2 + W2 h1 + h1), h1 = relu(b1 + W1 x[t-8..t-1])";
  j["provenance"] = w.provenance.empty() ? nlohmann::json() : nlohmann::json::parse(w.provenance);
  j["w1"] = to_json(w.w1);
  j["b1"] = to_json(w.b1);
  j["w2"] = to_json(w.w2);
  j["b2"] = to_json(w.b2);
  j["w3"] = to_json(w.w3);
  j["b3"] = to_json(w.b3);
  write_file_atomic(path, j.dump(1) + "\n");
}

const SdnWeights& builtin_sdn_weights() {
  if (*kBuiltinSdnJson == 0)
    throw InputError(
        "this build has no built-in SDN weights (weights/sdn_tau0.125.json was "
        "missing at configure time); set model.sdn_weights to a weights file");
  static const SdnWeights w = parse_sdn_weights(kBuiltinSdnJson, "weights/sdn_tau0.125.json");
  return w;
}

}  // namespace spikessm

#pragma once
// Experiment configuration: a TOML file plus `--set key=value` overrides, checked against
// one schema (src/common/config_schema.cpp): unknown keys, wrong types and out-of-range values
// are InputErrors naming the key, the value and what was expected.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace spikessm {

using ConfigValue = std::variant<bool, int64_t, double, std::string>;

struct ConfigKey {
  std::string key;                   // "section.name"
  ConfigValue def;                   // default; its alternative fixes the type
  double min = 0, max = 0;           // inclusive range for numbers when min < max
  std::vector<std::string> choices;  // allowed strings when not empty
  std::string help;
};

const std::vector<ConfigKey>& config_schema();
// A value as a config file writes it (true, 64, 0.001, "text").
std::string format_config_value(const ConfigValue& v);
// Every key: its default, meaning and choices, one line each (`train --help-config`).
std::string config_schema_help();

class Config {
 public:
  Config();  // every key at its default

  // Merge a TOML file / a TOML string (`source` names it in errors) over the current values.
  void merge_file(const std::string& path);
  void merge_string(const std::string& toml_text, const std::string& source);
  // "model.d_model=128": the value is read as TOML, or as a bare string.
  void set(const std::string& assignment);

  bool get_bool(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;

  std::string to_toml() const;  // every key, by section; merge_string() reads it back

 private:
  void assign(const std::string& key, ConfigValue v, const std::string& source);
  std::map<std::string, ConfigValue> values_;
};

}  // namespace spikessm

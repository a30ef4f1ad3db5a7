#include "spikessm/common/config.h"

#include <toml++/toml.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "spikessm/common/error.h"

namespace spikessm {

std::string format_config_value(const ConfigValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>)
          return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>)
          return "\"" + x + "\"";
        else {
          std::ostringstream os;
          os << x;
          return os.str();
        }
      },
      v);
}

std::string config_schema_help() {
  std::string out;
  char line[512];
  for (const auto& k : config_schema()) {
    std::string choices;
    for (const auto& c : k.choices) choices += (choices.empty() ? " (one of: " : ", ") + c;
    if (!choices.empty()) choices += ")";
    std::snprintf(line, sizeof line, "%-24s %-20s ", k.key.c_str(),
                  format_config_value(k.def).c_str());
    out += line + k.help + choices + "\n";
  }
  return out;
}

namespace {

const ConfigKey* find_key(const std::string& key) {
  for (const auto& k : config_schema())
    if (k.key == key) return &k;
  return nullptr;
}

const char* type_name(const ConfigValue& v) {
  switch (v.index()) {
    case 0:
      return "a boolean";
    case 1:
      return "an integer";
    case 2:
      return "a number";
    default:
      return "a string";
  }
}

// A TOML node as a ConfigValue; integers widen to floats where the schema wants a float.
bool from_node(const toml::node& n, const ConfigValue& like, ConfigValue& out) {
  switch (like.index()) {
    case 0:
      if (auto b = n.value_exact<bool>()) {
        out = *b;
        return true;
      }
      break;
    case 1:
      if (auto i = n.value_exact<int64_t>()) {
        out = *i;
        return true;
      }
      break;
    case 2:
      if (auto d = n.value_exact<double>()) {
        out = *d;
        return true;
      }
      if (auto i = n.value_exact<int64_t>()) {
        out = double(*i);
        return true;
      }
      break;
    default:
      if (auto s = n.value_exact<std::string>()) {
        out = *s;
        return true;
      }
      break;
  }
  return false;
}

// A section of the schema ("model"): the first key in it, or nullptr.
const ConfigKey* first_in_section(const std::string& section) {
  for (const auto& k : config_schema())
    if (k.key.size() > section.size() && k.key.compare(0, section.size(), section) == 0 &&
        k.key[section.size()] == '.')
      return &k;
  return nullptr;
}

const char* toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// A section given a value (model = 5, [[model]]) or a key given a table ([model.dropout]) is
// named as such, rather than as an unknown key.
void merge_table(Config& cfg, const toml::table& t, const std::string& prefix,
                 const std::string& source,
                 const std::function<void(const std::string&, const toml::node&)>& put) {
  for (const auto& [k, node] : t) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const auto* sub = node.as_table();
    if (sub && find_key(key))
      throw InputError(source + ": " + key + " should be " + type_name(find_key(key)->def) +
                       ", not a table");
    if (!sub && !find_key(key)) {
      if (const ConfigKey* first = first_in_section(key))
        throw InputError(source + ": '" + key + "' must be a table ([" + key +
                         "] holding keys such as " + first->key + "), not " + toml_type_name(node));
    }
    if (sub)
      merge_table(cfg, *sub, key, source, put);
    else
      put(key, node);
  }
}

// Strict UTF-8 without control characters (tab allowed): what a TOML string can hold and
// to_toml() writes back unchanged. Found by fuzz_config: "--set train.out_dir=b<NUL><0xfe>"
// was accepted and did not survive the round trip through config.toml.
bool printable_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = p[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf)
      len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
      len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
      len = 4, cp = c & 0x07;
    else
      return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    // overlong forms, surrogates, beyond U+10FFFF
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

}  // namespace

Config::Config() {
  for (const auto& k : config_schema()) values_[k.key] = k.def;
}

void Config::assign(const std::string& key, ConfigValue v, const std::string& source) {
  const ConfigKey* spec = find_key(key);
  if (!spec)
    throw InputError(source + ": unknown key '" + key + "' (see `spikessm train --help-config`)");
  if (v.index() != spec->def.index())
    throw InputError(source + ": " + key + " = " + format_config_value(v) + " should be " +
                     type_name(spec->def));
  if (spec->min < spec->max && (v.index() == 1 || v.index() == 2)) {
    double x = v.index() == 1 ? double(std::get<int64_t>(v)) : std::get<double>(v);
    if (!std::isfinite(x) || x < spec->min || x > spec->max) {
      std::ostringstream os;
      os << source << ": " << key << " = " << format_config_value(v) << " is out of range ["
         << spec->min << ", " << spec->max << "]";
      throw InputError(os.str());
    }
  }
  if (v.index() == 3 && !printable_utf8(std::get<std::string>(v)))
    throw InputError(source + ": " + key +
                     " is not printable UTF-8 text (control characters or invalid bytes)");
  if (!spec->choices.empty()) {
    const auto& s = std::get<std::string>(v);
    bool ok = false;
    std::string list;
    for (const auto& c : spec->choices) {
      ok |= (c == s);
      list += (list.empty() ? "" : ", ") + c;
    }
    if (!ok)
      throw InputError(source + ": " + key + " = " + format_config_value(v) + " is not one of " +
                       list);
  }
  values_[key] = std::move(v);
}

void Config::merge_string(const std::string& text, const std::string& source) {
  toml::table t;
  try {
    t = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": malformed TOML: " + std::string(e.description()));
  }
  merge_table(*this, t, "", source, [&](const std::string& key, const toml::node& node) {
    const ConfigKey* spec = find_key(key);
    if (!spec)
      throw InputError(source + ": unknown key '" + key + "' (see `spikessm train --help-config`)");
    ConfigValue v;
    if (!from_node(node, spec->def, v))
      throw InputError(source + ": " + key + " should be " + type_name(spec->def));
    assign(key, v, source);
  });
}

void Config::merge_file(const std::string& path) {
  std::error_code ec;
  // ifstream opens a directory without complaint and reads nothing: an empty, valid config.
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": is a directory (expected a TOML config file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  merge_string(ss.str(), path);
}

void Config::set(const std::string& assignment) {
  const std::string source = "--set " + assignment;
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(source + ": expected key=value, e.g. model.d_model=128");
  const std::string key = assignment.substr(0, eq), raw = assignment.substr(eq + 1);
  const ConfigKey* spec = find_key(key);
  if (!spec && first_in_section(key))
    throw InputError(source + ": '" + key +
                     "' is a section, not a key (set one of its keys, e.g. " +
                     first_in_section(key)->key + "=...)");
  if (!spec)
    throw InputError(source + ": unknown key '" + key + "' (see `spikessm train --help-config`)");
  ConfigValue v;
  if (spec->def.index() == 3) {
    // Strings may be given bare (data.dataset=mnist) or quoted.
    std::string s = raw;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    v = s;
  } else {
    toml::table t;
    try {
      t = toml::parse("v = " + raw);
    } catch (const toml::parse_error&) {
      throw InputError(source + ": '" + raw + "' is not " + type_name(spec->def));
    }
    if (!from_node(*t.get("v"), spec->def, v))
      throw InputError(source + ": '" + raw + "' is not " + type_name(spec->def));
  }
  assign(key, v, source);
}

bool Config::get_bool(const std::string& key) const { return std::get<bool>(values_.at(key)); }
int64_t Config::get_int(const std::string& key) const { return std::get<int64_t>(values_.at(key)); }
double Config::get_float(const std::string& key) const { return std::get<double>(values_.at(key)); }
const std::string& Config::get_string(const std::string& key) const {
  return std::get<std::string>(values_.at(key));
}

std::string Config::to_toml() const {
  std::ostringstream os;
  std::string section;
  for (const auto& k : config_schema()) {
    auto dot = k.key.find('.');
    std::string sec = k.key.substr(0, dot), name = k.key.substr(dot + 1);
    if (sec != section) {
      os << (section.empty() ? "" : "\n") << "[" << sec << "]\n";
      section = sec;
    }
    const auto& v = values_.at(k.key);
    if (v.index() == 2) {
      std::ostringstream num;
      num.precision(17);
      num << std::get<double>(v);
      std::string s = num.str();
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // keep it a TOML float
      os << name << " = " << s << "\n";
    } else if (v.index() == 3) {
      os << name << " = " << toml::value<std::string>(std::get<std::string>(v)) << "\n";
    } else {
      os << name << " = " << format_config_value(v) << "\n";
    }
  }
  return os.str();
}

}  // namespace spikessm

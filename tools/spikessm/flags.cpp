#include "flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "spikessm/common/config.h"

namespace spikessm::cli {

namespace {

// Integer bounds exactly (100000000, not 1e+08) unless they are huge; others as the config does.
std::string num(double x, bool integer) {
  if (integer && std::fabs(x) < 1e12) return std::to_string((long long)x);
  std::ostringstream os;
  os << x;
  return os.str();
}

// The whole text as an integer, as CLI11 reads it (base prefixes included); false if it is not
// one. A value beyond int64 counts as out of range, not as a conversion error.
bool parse_int(const std::string& s, long double& v) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long x = std::strtoll(s.c_str(), &end, 0);
  if (*end != '\0') return false;
  v = errno == ERANGE ? (x < 0 ? -HUGE_VALL : HUGE_VALL) : (long double)x;
  return true;
}

bool parse_real(const std::string& s, long double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtold(s.c_str(), &end);
  return *end == '\0';
}

struct Range {
  double min, max;
  bool integer, min_open;
  std::string key;  // the config key it is the range of, or ""

  std::string text() const {
    return (min_open ? "(" : "[") + num(min, integer) + ", " + num(max, integer) + "]";
  }
  // CLI11 calls this with the flag's text; an empty string accepts it.
  std::string check(const std::string& s) const {
    long double v = 0;
    if (!(integer ? parse_int(s, v) : parse_real(s, v)))
      return "'" + s + "' is not " + (integer ? "an integer" : "a number") + " (expected " +
             text() + ")";
    const bool below = min_open ? !(v > min) : !(v >= min);
    if (below || !(v <= max) || !std::isfinite(double(v)))
      return s + " is out of range " + text() + (key.empty() ? "" : " (the range of " + key + ")");
    return "";
  }
};

CLI::Validator make(const Range& r) {
  return CLI::Validator([r](std::string& s) { return r.check(s); }, "in " + r.text());
}

}  // namespace

CLI::Validator range_of(const std::string& key) {
  for (const auto& k : config_schema()) {
    if (k.key != key) continue;
    if (!(k.min < k.max) || (k.def.index() != 1 && k.def.index() != 2))
      throw std::logic_error("range_of: " + key + " is not a number with a range");
    return make(Range{k.min, k.max, k.def.index() == 1, false, key});
  }
  throw std::logic_error("range_of: no config key " + key);
}

CLI::Validator int_range(int64_t min, int64_t max) {
  return make(Range{double(min), double(max), true, false, ""});
}

CLI::Validator real_range(double min, double max, bool min_open) {
  return make(Range{min, max, false, min_open, ""});
}

CLI::Validator int_choice(const std::vector<int64_t>& values) {
  std::string list;
  for (auto v : values) list += (list.empty() ? "" : ", ") + std::to_string(v);
  return CLI::Validator(
      [values, list](std::string& s) -> std::string {
        long double v = 0;
        if (!parse_int(s, v)) return "'" + s + "' is not an integer (expected one of " + list + ")";
        for (auto x : values)
          if (v == (long double)x) return "";
        return s + " is not one of " + list;
      },
      "one of " + list);
}

CLI::Validator output_file(bool parent_must_exist) {
  return CLI::Validator(
      [parent_must_exist](std::string& s) -> std::string {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (fs::is_directory(s, ec))
          return s + " is a directory (expected the name of a file to write)";
        const fs::path parent = fs::path(s).parent_path();
        if (parent_must_exist && !parent.empty() && !fs::is_directory(parent, ec))
          return s + ": directory " + parent.string() + " does not exist";
        return "";
      },
      "FILE");
}

}  // namespace spikessm::cli

#include "spikessm/train/guard.h"

#include <cerrno>
#include <cstdlib>

#include "spikessm/common/error.h"

namespace spikessm {
namespace {

int64_t parse_int(const std::string& s, const std::string& where, const std::string& spec) {
  char* end = nullptr;
  errno = 0;
  const long long v = s.empty() ? -1 : std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0 || errno != 0)
    throw InputError(where + " = \"" + spec + "\": '" + s +
                     "' is not a non-negative integer (expected e.g. \"loss:3-5,grad:7@1\")");
  return v;
}

}  // namespace

FaultInjection FaultInjection::parse(const std::string& spec, const std::string& where) {
  FaultInjection f;
  size_t pos = 0;
  while (!spec.empty() && pos <= spec.size()) {  // "a," has an empty second item: refused
    size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    std::string item = spec.substr(pos, comma - pos);
    pos = comma + 1;
    Rule r{false, 0, 0, -1};
    const auto colon = item.find(':');
    const std::string kind = item.substr(0, colon);
    if (colon == std::string::npos || (kind != "loss" && kind != "grad"))
      throw InputError(where + " = \"" + spec + "\": '" + item +
                       "' must be loss:STEPS or grad:STEPS, optionally @RANK");
    r.grad = kind == "grad";
    std::string steps = item.substr(colon + 1);
    if (const auto at = steps.find('@'); at != std::string::npos) {
      r.rank = int(parse_int(steps.substr(at + 1), where, spec));
      steps.resize(at);
    }
    const auto dash = steps.find('-');
    r.first = parse_int(steps.substr(0, dash), where, spec);
    r.last = dash == std::string::npos ? r.first : parse_int(steps.substr(dash + 1), where, spec);
    if (r.last < r.first)
      throw InputError(where + " = \"" + spec + "\": range '" + steps + "' ends before it starts");
    f.rules_.push_back(r);
  }
  return f;
}

bool FaultInjection::hit(bool grad, int64_t step, int rank) const {
  for (const auto& r : rules_)
    if (r.grad == grad && step >= r.first && step <= r.last && (r.rank < 0 || r.rank == rank))
      return true;
  return false;
}

}  // namespace spikessm

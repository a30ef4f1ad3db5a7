#pragma once
// One names table per enum: the names configs and the command line use, in one place that
// drives parsing, printing, error messages and the config schema's choices (--help-config).
// An enum opts in by specialising EnumNames (see common/kinds.h).
#include <array>
#include <string>
#include <vector>

#include "spikessm/common/error.h"

namespace spikessm {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

// Specialise with: static constexpr const char* what; static constexpr std::array table.
template <class E>
struct EnumNames;

// The value named `name`; InputError "<where>: unknown <what> 'name' (expected one of: ...)".
template <class E>
E parse_enum(const std::string& name, const std::string& where) {
  for (const auto& e : EnumNames<E>::table)
    if (name == e.name) return e.value;
  std::string list;
  for (const auto& e : EnumNames<E>::table)
    list += (list.empty() ? "" : ", ") + std::string(e.name);
  throw InputError(where + ": unknown " + EnumNames<E>::what + " '" + name +
                   "' (expected one of: " + list + ")");
}

template <class E, class = decltype(EnumNames<E>::table)>
std::string to_string(E v) {
  for (const auto& e : EnumNames<E>::table)
    if (e.value == v) return e.name;
  return "?";
}

// Every name, in table order (the schema's choices).
template <class E>
std::vector<std::string> enum_choices() {
  std::vector<std::string> out;
  for (const auto& e : EnumNames<E>::table) out.emplace_back(e.name);
  return out;
}

}  // namespace spikessm

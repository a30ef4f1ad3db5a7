#pragma once
// Errors caused by what the user handed us (a file, a config key, a value).
// The CLI prints what() as one line and exits with code 2; everything else is a bug.
#include <stdexcept>
#include <string>

namespace spikessm {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

// Throws InputError("<where>: <what>") when cond is false.
inline void require(bool cond, const std::string& where, const std::string& what) {
  if (!cond) throw InputError(where + ": " + what);
}

}  // namespace spikessm

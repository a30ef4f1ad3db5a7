#pragma once
// Runs a parse that may crash inside a C library (libhdf5 1.10 does on some malformed files)
// in a forked child: its result comes back through a pipe, and a crash, a sanitizer report or
// a time-out becomes one InputError naming the file, never the caller's death. No LibTorch
// dependency, so fuzzers can link it.
#include <functional>
#include <string>

namespace spikessm {

// `work` runs in the child and returns its result as bytes; an InputError it throws comes back
// as the same InputError, another exception as an InputError naming `name` with its text; a
// crash or a time-out as "<name>: malformed <format> file (...)" / "<name>: reading the
// <format> file took more than N s". The child's stderr goes to /dev/null (libraries' dumps).
std::string run_isolated(const std::function<std::string()>& work, const std::string& name,
                         const std::string& format, int seconds);

}  // namespace spikessm

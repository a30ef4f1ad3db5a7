#pragma once
// The one way spikessm starts another program (gnuplot, sentencepiece's tools, bible): an
// argument vector handed to the program as it is, never a shell command line, so no path or
// user text can become a command. No LibTorch dependency, so fuzzers can link it.
#include <string>
#include <vector>

namespace spikessm {

struct ProcessOptions {
  std::string dir;          // working directory of the program ("": ours)
  std::string stdin_file;   // its standard input ("": /dev/null)
  std::string stdout_file;  // its standard output, created or truncated ("": captured in out)
};

struct ProcessResult {
  bool found = true;   // false: no such program on PATH (not installed)
  int exit_code = -1;  // -1 when it died of a signal
  int signal = 0;      // the signal that ended it, or 0
  std::string out;     // its standard output, unless sent to stdout_file
  std::string err;     // its standard error
  bool ok() const { return found && exit_code == 0; }
  // The last non-empty line of err (a program's error usually ends there), or how it ended.
  std::string error_line() const;
};

// Runs argv[0] (searched on PATH) with argv and waits for it. Throws InputError when it cannot
// be started for another reason than a missing program (a missing dir, an unreadable stdin_file).
ProcessResult run_program(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace spikessm

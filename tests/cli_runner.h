#pragma once
// Runs the spikessm binary in a shell and captures its exit code and output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace spikessm::testing {

struct CliResult {
  int code = -1;
  std::string out;  // stdout and stderr, interleaved
};

inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string cmd = std::string(SPIKESSM_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace spikessm::testing

#pragma once
// Runs the spikessm binary in a shell and captures its exit code and output; or starts it
// without waiting (to be killed).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

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

// Starts the binary with args (no shell), its output discarded; returns its pid.
inline pid_t spawn_cli(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(SPIKESSM_CLI)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "w", stdout);
    execv(SPIKESSM_CLI, argv.data());
    _exit(127);
  }
  return pid;
}

// Its exit code, -1 when a signal ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace spikessm::testing

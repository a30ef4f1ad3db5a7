#include "spikessm/common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "spikessm/common/error.h"

extern char** environ;

namespace spikessm {

namespace {

// A file descriptor closed on every path out of run_program.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Opened here rather than by the spawned child: a missing file would otherwise come back from
// posix_spawnp as ENOENT, the same code as a missing program.
int open_or_throw(const std::string& path, int flags, const char* what) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path + ": cannot open " + what + ": " + std::strerror(errno));
  return fd;
}

struct Actions {
  posix_spawn_file_actions_t a;
  Actions() { posix_spawn_file_actions_init(&a); }
  ~Actions() { posix_spawn_file_actions_destroy(&a); }
};

// Reads the open pipes until both reach end of file (two pipes: poll, so neither fills up).
void drain(Fd& out_fd, std::string& out, Fd& err_fd, std::string& err) {
  char buf[65536];
  while (out_fd.fd >= 0 || err_fd.fd >= 0) {
    pollfd p[2] = {{out_fd.fd, POLLIN, 0}, {err_fd.fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
    }
    Fd* fds[2] = {&out_fd, &err_fd};
    std::string* dst[2] = {&out, &err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i]->fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i]->fd, buf, sizeof buf);
      if (n > 0)
        dst[i]->append(buf, size_t(n));
      else if (n == 0 || errno != EINTR)
        fds[i]->reset();
    }
  }
}

}  // namespace

std::string ProcessResult::error_line() const {
  std::string last;
  for (size_t b = 0; b < err.size();) {
    size_t e = err.find('\n', b);
    if (e == std::string::npos) e = err.size();
    const std::string line = err.substr(b, e - b);
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
    b = e + 1;
  }
  if (!last.empty()) return last;
  if (!found) return "not installed";
  return signal ? "killed by signal " + std::to_string(signal)
                : "exit code " + std::to_string(exit_code);
}

ProcessResult run_program(const std::vector<std::string>& argv, const ProcessOptions& o) {
  if (argv.empty()) throw std::invalid_argument("run_program: empty argument vector");
  Actions act;
  Fd dir,
      in(open_or_throw(o.stdin_file.empty() ? "/dev/null" : o.stdin_file, O_RDONLY, "as input")),
      out_file;
  if (!o.dir.empty()) {
    dir.fd = open_or_throw(o.dir, O_RDONLY | O_DIRECTORY, "as working directory");
    posix_spawn_file_actions_addfchdir_np(&act.a, dir.fd);
  }
  posix_spawn_file_actions_adddup2(&act.a, in.fd, 0);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]), out_r, out_w;
  if (o.stdout_file.empty()) {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + strerror(errno));
    out_r.fd = out_pipe[0];
    out_w.fd = out_pipe[1];
  } else {
    out_w.fd = open_or_throw(o.stdout_file, O_WRONLY | O_CREAT | O_TRUNC, "for output");
  }
  posix_spawn_file_actions_adddup2(&act.a, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&act.a, err_w.fd, 2);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  ProcessResult r;
  const int rc = posix_spawnp(&pid, args[0], &act.a, nullptr, args.data(), environ);
  if (rc == ENOENT) {
    r.found = false;
    return r;
  }
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  out_w.reset();  // the child holds its own copies; ours would keep the pipes open forever
  err_w.reset();
  drain(out_r, r.out, err_r, r.err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid: " + std::string(std::strerror(errno)));
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace spikessm

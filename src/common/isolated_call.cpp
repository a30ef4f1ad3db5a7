#include "spikessm/common/isolated_call.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "spikessm/common/error.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPIKESSM_ISOLATED_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SPIKESSM_ISOLATED_ASAN 1
#endif
#ifdef SPIKESSM_ISOLATED_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace spikessm {
namespace {

// Child exit codes: the result follows, an InputError's text follows, another exception's.
constexpr int kExitResult = 0, kExitInputError = 3, kExitOtherError = 6;

bool write_all(int fd, const std::string& s) {
  for (size_t done = 0; done < s.size();) {
    const auto n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

// In the child: run, send the result or the error text, and _exit (no destructors or atexit
// handlers of the parent's libraries run twice).
[[noreturn]] void run_child(int fd, const std::function<std::string()>& work) {
#ifdef SPIKESSM_ISOLATED_ASAN
  // Under a fuzzer, its death callback would record the child's crash as the fuzzer's own.
  __sanitizer_set_death_callback(nullptr);
#endif
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) ::signal(sig, SIG_DFL);
  const int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull >= 0) ::dup2(devnull, 2);
  std::string msg;
  int code = kExitResult;
  try {
    msg = work();
  } catch (const InputError& e) {
    msg = e.what();
    code = kExitInputError;
  } catch (const std::exception& e) {
    msg = e.what();
    code = kExitOtherError;
  } catch (...) {
    ::_exit(4);
  }
  ::_exit(write_all(fd, msg) ? code : 5);
}

}  // namespace

std::string run_isolated(const std::function<std::string()>& work, const std::string& name,
                         const std::string& format, int seconds) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("isolated reader: pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]), ::close(fds[1]);
    throw std::runtime_error("isolated reader: fork failed");
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], work);
  }
  ::close(fds[1]);
  // Drain the pipe while the child runs (a result can be larger than the pipe's buffer).
  std::string msg;
  std::string buf(1 << 16, '\0');
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, int(std::min<int64_t>(left.count(), 1 << 30)));
    if (r <= 0) continue;  // EINTR or time-out: the loop head decides
    const auto n = ::read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child exited (or closed the pipe)
    msg.append(buf.data(), size_t(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw InputError(name + ": reading the " + format + " file took more than " +
                     std::to_string(seconds) + " s (malformed file?)");
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitInputError) throw InputError(msg);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitOtherError)
    throw InputError(name + ": could not be read as " + format + " (" + msg + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != kExitResult)
    throw InputError(
        name + ": malformed " + format + " file (its reader failed inside the library" +
        (WIFSIGNALED(status) ? ", signal " + std::to_string(WTERMSIG(status)) : std::string()) +
        ")");
  return msg;
}

}  // namespace spikessm

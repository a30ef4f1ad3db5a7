// read_nir_image: the HDF5 parse in a forked child; the graph comes back through a pipe.
// A child that crashes, is killed by a sanitizer or runs past the time limit becomes an
// InputError naming the file. The parent never calls libhdf5's reader, so no undefined
// behaviour inside libhdf5 can reach it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "nir_isolated.h"
#include "spikessm/common/error.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPIKESSM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SPIKESSM_ASAN 1
#endif
#ifdef SPIKESSM_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace spikessm {

namespace {

constexpr int kChildSeconds = 60;  // no valid NIR file takes near this long
// Child exit codes: the graph follows, an InputError's text follows, another exception's text
// follows (e.g. bad_alloc on a huge declared size). Anything else: the child died.
constexpr int kExitGraph = 0, kExitInputError = 3, kExitOtherError = 6;

struct Writer {
  std::string out;
  void u64(uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    out += s;
  }
  void value(const NirValue& v) {
    u64(uint64_t(v.kind));
    u64(v.shape.size());
    for (auto s : v.shape) u64(uint64_t(s));
    u64(v.data.size());
    if (!v.data.empty())
      out.append(reinterpret_cast<const char*>(v.data.data()), v.data.size() * sizeof(double));
    str(v.text);
  }
  void values(const std::map<std::string, NirValue>& m) {
    u64(m.size());
    for (const auto& [k, v] : m) str(k), value(v);
  }
  void graph(const NirGraph& g) {
    u64(g.nodes.size());
    for (const auto& [name, n] : g.nodes) {
      str(name), str(n.type), values(n.params), values(n.metadata);
      u64(n.graph ? 1 : 0);
      if (n.graph) graph(*n.graph);
    }
    u64(g.edges.size());
    for (const auto& [a, b] : g.edges) str(a), str(b);
    values(g.metadata);
  }
};

// Reads what Writer wrote (our own child's output; a short read is still checked).
struct Reader {
  const std::string& in;
  size_t pos = 0;
  void need(uint64_t n) {
    if (n > in.size() - pos) throw std::runtime_error("NIR child: truncated graph message");
  }
  uint64_t u64() {
    need(8);
    uint64_t v;
    std::memcpy(&v, in.data() + pos, 8);
    pos += 8;
    return v;
  }
  std::string str() {
    const auto n = u64();
    need(n);
    pos += n;
    return in.substr(pos - n, n);
  }
  NirValue value() {
    NirValue v;
    v.kind = NirValue::Kind(u64());
    v.shape.resize(u64());
    for (auto& s : v.shape) s = int64_t(u64());
    const auto n = u64();
    need(n * sizeof(double));
    v.data.resize(n);
    if (n > 0) std::memcpy(v.data.data(), in.data() + pos, n * sizeof(double));
    pos += n * sizeof(double);
    v.text = str();
    return v;
  }
  std::map<std::string, NirValue> values() {
    std::map<std::string, NirValue> m;
    for (auto n = u64(); n > 0; --n) {
      auto k = str();
      m[k] = value();
    }
    return m;
  }
  NirGraph graph() {
    NirGraph g;
    for (auto n = u64(); n > 0; --n) {
      auto& node = g.nodes[str()];
      node.type = str();
      node.params = values();
      node.metadata = values();
      if (u64()) node.graph = std::make_shared<NirGraph>(graph());
    }
    for (auto n = u64(); n > 0; --n) {
      auto a = str();
      g.edges.emplace_back(a, str());
    }
    g.metadata = values();
    return g;
  }
};

bool write_all(int fd, const std::string& s) {
  for (size_t done = 0; done < s.size();) {
    const auto n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

// In the child: parse, send one status byte + the graph or the error text, and _exit (no
// destructors or atexit handlers of the parent's libraries run twice).
[[noreturn]] void run_child(int fd, const std::string& bytes, const std::string& name) {
#ifdef SPIKESSM_ASAN
  // Under a fuzzer, its death callback would record the child's crash as the fuzzer's own.
  __sanitizer_set_death_callback(nullptr);
#endif
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) ::signal(sig, SIG_DFL);
  const int devnull = ::open("/dev/null", O_WRONLY);  // libhdf5's and sanitizers' reports
  if (devnull >= 0) ::dup2(devnull, 2);
  std::string msg;
  int code = kExitGraph;
  try {
    msg = serialize_nir(read_nir_image_in_process(bytes, name));
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

std::string serialize_nir(const NirGraph& graph) {
  Writer w;
  w.graph(graph);
  return std::move(w.out);
}

NirGraph deserialize_nir(const std::string& bytes) {
  Reader r{bytes};
  auto g = r.graph();
  if (r.pos != bytes.size()) throw std::runtime_error("NIR child: trailing bytes in graph message");
  return g;
}

NirGraph read_nir_image(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name + ": empty (a NIR file is HDF5)");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("NIR reader: pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]), ::close(fds[1]);
    throw std::runtime_error("NIR reader: fork failed");
  }
  if (pid == 0) {
    ::close(fds[0]);
    run_child(fds[1], bytes, name);
  }
  ::close(fds[1]);
  // Drain the pipe while the child runs (a graph can be larger than the pipe's buffer).
  std::string msg;
  char buf[1 << 16];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kChildSeconds);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, int(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // timeout: the loop head ends it
    const auto n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child exited (or closed the pipe)
    msg.append(buf, size_t(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw InputError(name + ": reading the HDF5 file took more than " +
                     std::to_string(kChildSeconds) + " s (malformed file?)");
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitInputError) throw InputError(msg);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitOtherError)
    throw InputError(name + ": could not be read as NIR (" + msg + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != kExitGraph)
    throw InputError(
        name + ": malformed HDF5 file (libhdf5 failed inside its own parser" +
        (WIFSIGNALED(status) ? ", signal " + std::to_string(WTERMSIG(status)) : std::string()) +
        ")");
  return deserialize_nir(msg);
}

}  // namespace spikessm

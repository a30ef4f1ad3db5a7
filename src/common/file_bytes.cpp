#include "spikessm/common/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "spikessm/common/error.h"

namespace spikessm {
namespace {

struct Closer {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, Closer>;

std::string read_all(FILE* f, const std::string& path, size_t size_hint) {
  std::string bytes;
  bytes.reserve(size_hint);
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  if (std::ferror(f)) throw InputError(path + ": read error: " + std::strerror(errno));
  return bytes;
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISCHR(mode)) return "is a character device";
  if (S_ISBLK(mode)) return "is a block device";
  if (S_ISFIFO(mode)) return "is a FIFO";
  if (S_ISSOCK(mode)) return "is a socket";
  return "is a special file";
}

}  // namespace

std::string read_file_bytes(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw InputError(path + ": cannot open: " + std::strerror(errno));
  return read_all(f.get(), path, 0);
}

std::string read_regular_file(const std::string& path, const std::string& expected) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) throw InputError(path + ": " + expected + " not found");
    throw InputError(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path + ": " + file_kind(st.st_mode) + ", not a regular file (expected a " +
                     expected + ")");
  }
  File f(::fdopen(fd, "rb"));
  if (!f) {
    ::close(fd);
    throw InputError(path + ": cannot open: " + std::strerror(errno));
  }
  return read_all(f.get(), path, size_t(st.st_size));
}

}  // namespace spikessm

#include "spikessm/common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "spikessm/common/error.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

std::string parent_of(const std::string& path) { return fs::path(path).parent_path().string(); }

void sync_fd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    throw InputError(path + ": write failed: " + std::strerror(e));
  }
  if (::close(fd) != 0) throw InputError(path + ": write failed: " + std::strerror(errno));
}

void write_all(int fd, const std::string& path, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw InputError(path + ": write failed: " + std::strerror(e));
    }
    done += size_t(n);
  }
}

// A fresh, unique temporary name next to path (two writers of one path do not collide).
std::string make_temp(const std::string& path) {
  std::string name = path + ".tmpXXXXXX";
  std::vector<char> buf(name.begin(), name.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) throw InputError(path + ": cannot write: " + std::strerror(errno));
  ::fchmod(fd, 0644);  // mkstemp creates 0600; written files are ordinary user files
  ::close(fd);
  return std::string(buf.data());
}

void rename_into_place(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write: " + std::strerror(e));
  }
  sync_directory(parent_of(path));
}

}  // namespace

void write_file_synced(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path + ": cannot write: " + std::strerror(errno));
  write_all(fd, path, bytes);
  sync_fd(fd, path);
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // nothing to sync on file systems that refuse directory handles
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomic_with(const std::string& path,
                            const std::function<void(const std::string& tmp)>& write) {
  const std::string tmp = make_temp(path);
  try {
    write(tmp);
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw InputError(path + ": write failed: " + std::strerror(errno));
    sync_fd(fd, path);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  rename_into_place(tmp, path);
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic_with(path, [&](const std::string& tmp) { write_file_synced(tmp, bytes); });
}

}  // namespace spikessm

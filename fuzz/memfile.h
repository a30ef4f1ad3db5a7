#pragma once
// An in-memory file (memfd) for harnesses whose reader takes a path: each input is written
// to it and read back through /proc/self/fd/N, so the disk stays out of the loop.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace spikessm::fuzz {

struct MemFile {
  int fd;
  std::string path;
  explicit MemFile(const char* name)
      : fd(memfd_create(name, 0)), path("/proc/self/fd/" + std::to_string(fd)) {
    if (fd < 0) std::abort();
  }
  const std::string& hold(const uint8_t* data, size_t size) {
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) std::abort();
    return path;
  }
};

}  // namespace spikessm::fuzz

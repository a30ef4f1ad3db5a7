#pragma once
// Shared helpers for the test suite: where the data lives, skipping when it does not.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace spikessm::testing {

// ../shared/data next to the repository, or $SPIKESSM_SHARED_DATA.
inline std::string shared_data_dir() {
  if (const char* env = std::getenv("SPIKESSM_SHARED_DATA")) return env;
  return std::string(SPIKESSM_SOURCE_DIR) + "/../shared/data";
}

// Debian's dataset-fashion-mnist, or $SPIKESSM_FASHION_MNIST.
inline std::string fashion_mnist_dir() {
  if (const char* env = std::getenv("SPIKESSM_FASHION_MNIST")) return env;
  return "/usr/share/datasets/fashion-mnist";
}

inline std::string fixture(const std::string& name) {
  return std::string(SPIKESSM_SOURCE_DIR) + "/tests/fixtures/" + name;
}

// A fresh scratch directory for one test, removed first if it exists. The process id keeps
// tests that CTest runs in parallel (parameterised variants, other checkouts) apart.
inline std::filesystem::path scratch_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("spikessm_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

}  // namespace spikessm::testing

#define SPIKESSM_SKIP_UNLESS_EXISTS(path)                                          \
  do {                                                                             \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "data absent: " << (path); \
  } while (0)

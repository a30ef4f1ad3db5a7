#pragma once
// A private temporary folder for harnesses whose reader takes a folder; removed at exit.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace spikessm::fuzz {

struct TempDir {
  std::string path;
  explicit TempDir(const char* name) {
    std::string tmpl = (std::filesystem::temp_directory_path() / name).string() + "-XXXXXX";
    if (!mkdtemp(tmpl.data())) std::abort();
    path = tmpl;
  }
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace spikessm::fuzz

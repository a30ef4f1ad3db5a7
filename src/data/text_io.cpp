#include "spikessm/data/text_io.h"

#include <nettle/md5.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"

namespace spikessm {
namespace fs = std::filesystem;

std::vector<std::string> list_files_sorted(const std::string& dir) {
  require(fs::is_directory(dir), dir, "not a directory");
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string md5_hex(const std::string& bytes) {
  md5_ctx ctx;
  md5_init(&ctx);
  md5_update(&ctx, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
  uint8_t d[MD5_DIGEST_SIZE];
  md5_digest(&ctx, MD5_DIGEST_SIZE, d);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

}  // namespace spikessm

#include "spikessm/text/byte_tokenizer.h"

#include <nlohmann/json.hpp>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"

namespace spikessm {

std::vector<int64_t> ByteTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
  return ids;
}

std::string ByteTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int64_t id : ids) out += piece(id);
  return out;
}

std::string ByteTokenizer::piece(int64_t id) const {
  TORCH_CHECK(id >= 0 && id < 256, "[ByteTokenizer] id ", id, " outside 0..255");
  return std::string(1, static_cast<char>(id));
}

void ByteTokenizer::save(const std::string& dir) const {
  write_file_atomic(dir + "/tokenizer.json", nlohmann::json{{"kind", "byte"}}.dump() + "\n");
}

}  // namespace spikessm

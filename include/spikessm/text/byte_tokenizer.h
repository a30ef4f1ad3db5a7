#pragma once
// Byte-level tokenizer: id = byte value, 256 ids, lossless on any input.
#include "spikessm/text/tokenizer.h"

namespace spikessm {

class ByteTokenizer : public Tokenizer {
 public:
  std::string kind() const override { return "byte"; }
  int64_t vocab_size() const override { return 256; }
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string piece(int64_t id) const override;
  void save(const std::string& dir) const override;
};

}  // namespace spikessm

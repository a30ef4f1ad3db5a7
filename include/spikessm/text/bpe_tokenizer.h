#pragma once
// BPE tokenizer trained and applied with sentencepiece (Debian's spm_train / spm_encode /
// spm_export_vocab; see bpe_tokenizer.cpp for why not the library). Every line is encoded on its
// own and followed by the <eos> id (sentencepiece pieces never hold a newline), so decode()
// restores the text. Identity normalisation, no dummy prefix and byte fallback keep it
// lossless: decode(encode(t)) == t for any UTF-8 text whose lines carry no '\r'.
#include <memory>
#include <string>
#include <vector>

#include "spikessm/text/tokenizer.h"

namespace spikessm {

class BpeTokenizer : public Tokenizer {
 public:
  // Trains on the lines of `text`; vocab_size includes <unk>, <s>, </s> (= <eos>) and the 256
  // byte-fallback pieces.
  static std::unique_ptr<BpeTokenizer> train(const std::string& text, int64_t vocab_size);
  // From a serialized sentencepiece model; InputError("<where>: ...") when it does not load.
  BpeTokenizer(const std::string& model_bytes, const std::string& where);
  ~BpeTokenizer() override;

  std::string kind() const override { return "bpe"; }
  int64_t vocab_size() const override;
  // InputError naming spm_encode and the model when the tool fails or answers nonsense.
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string piece(int64_t id) const override;
  void save(const std::string& dir) const override;  // tokenizer.json + tokenizer.model

 private:
  std::string model_bytes_;
  std::string where_;                // the model's file (or origin), for messages
  std::string dir_;                  // private temporary directory holding the model file
  std::vector<std::string> pieces_;  // id -> piece
  int64_t eos_ = 0;
};

}  // namespace spikessm

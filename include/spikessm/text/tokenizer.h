#pragma once
// Tokenizers of the language models: text <-> token ids. Three kinds, one file each:
//   byte  256 ids, one per byte (bits per byte = bits per character on ASCII text)
//   word  WikiText/PTB convention: whitespace-separated words, <eos> ending every line,
//         <unk> for words outside the vocabulary, which comes from the training split
//   bpe   sentencepiece BPE trained on the training split; lines end in <eos> as above
// A trained tokenizer is saved next to the checkpoint (tokenizer.json, plus tokenizer.model
// for bpe) so that eval and generate rebuild exactly the same ids.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spikessm {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;  // "byte" | "word" | "bpe"
  virtual int64_t vocab_size() const = 0;
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  // The text one token adds when printed as it is generated (byte tokens may be a part of
  // a UTF-8 character; the terminal joins them).
  virtual std::string piece(int64_t id) const = 0;
  // Writes <dir>/tokenizer.json (and any model file) atomically.
  virtual void save(const std::string& dir) const = 0;
};

// Words of a text under the word convention (whitespace-split words + one <eos> per line):
// the unit of word-level perplexity, whatever the tokenizer.
int64_t count_words(const std::string& text);

// Trains a tokenizer of `kind` on the training text (bpe_vocab: BPE vocabulary size); `where`
// names the text's file in errors.
std::unique_ptr<Tokenizer> train_tokenizer(const std::string& kind, const std::string& train_text,
                                           int64_t bpe_vocab,
                                           const std::string& where = "the training text");
// Reads <dir>/tokenizer.json; InputError naming the file when missing or malformed.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir);

// The line-splitting rule shared by word and bpe: "a\nb\n" and "a\nb" are both two lines.
std::vector<std::string> split_lines(const std::string& text);

}  // namespace spikessm

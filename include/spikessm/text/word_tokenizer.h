#pragma once
// Word-level tokenizer with the WikiText/PTB conventions: a line is split on whitespace and
// followed by <eos>; words not in the vocabulary (built from the training split, in order of
// first appearance after <eos> = 0 and <unk> = 1) become <unk>. WikiText and PTB already
// write rare words as <unk>, so the training split covers them.
#include <string>
#include <unordered_map>
#include <vector>

#include "spikessm/text/tokenizer.h"

namespace spikessm {

class WordTokenizer : public Tokenizer {
 public:
  static constexpr int64_t kEos = 0, kUnk = 1;
  // Vocabulary from a training text; InputError naming `where` when it is not UTF-8 (the
  // vocabulary is saved as JSON, which holds UTF-8 only).
  static WordTokenizer train(const std::string& text,
                             const std::string& where = "the training text");
  // From a saved word list (index = id); InputError when it lacks <eos>/<unk> at 0/1 or
  // repeats a word. `where` names the source.
  WordTokenizer(std::vector<std::string> words, const std::string& where);

  std::string kind() const override { return "word"; }
  int64_t vocab_size() const override { return int64_t(words_.size()); }
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::string piece(int64_t id) const override;  // "word " or "\n" for <eos>
  void save(const std::string& dir) const override;
  const std::vector<std::string>& words() const { return words_; }

 private:
  WordTokenizer() = default;
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace spikessm

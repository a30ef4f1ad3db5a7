#include "spikessm/text/word_tokenizer.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"

namespace spikessm {
namespace {

// Calls f(word) for each whitespace-separated word of a line.
template <class F>
void for_each_word(const std::string& line, F&& f) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i) f(line.substr(i, j - i));
    i = j;
  }
}

}  // namespace

WordTokenizer WordTokenizer::train(const std::string& text) {
  WordTokenizer t;
  t.words_ = {"<eos>", "<unk>"};
  t.index_ = {{"<eos>", kEos}, {"<unk>", kUnk}};
  for (const auto& line : split_lines(text))
    for_each_word(line, [&](const std::string& w) {
      if (t.index_.emplace(w, int64_t(t.words_.size())).second) t.words_.push_back(w);
    });
  return t;
}

WordTokenizer::WordTokenizer(std::vector<std::string> words, const std::string& where)
    : words_(std::move(words)) {
  require(words_.size() >= 2 && words_[0] == "<eos>" && words_[1] == "<unk>", where,
          "a word vocabulary must start with <eos>, <unk>");
  for (size_t i = 0; i < words_.size(); ++i) {
    require(!words_[i].empty(), where, "word " + std::to_string(i) + " is empty");
    require(index_.emplace(words_[i], int64_t(i)).second, where,
            "word '" + words_[i] + "' appears twice in the vocabulary");
  }
}

std::vector<int64_t> WordTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& line : split_lines(text)) {
    for_each_word(line, [&](const std::string& w) {
      auto it = index_.find(w);
      ids.push_back(it == index_.end() ? kUnk : it->second);
    });
    ids.push_back(kEos);
  }
  return ids;
}

std::string WordTokenizer::piece(int64_t id) const {
  TORCH_CHECK(id >= 0 && id < vocab_size(), "[WordTokenizer] id ", id, " outside the vocabulary");
  return id == kEos ? std::string("\n") : words_[size_t(id)] + " ";
}

std::string WordTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (int64_t id : ids) {
    if (id == kEos && !out.empty() && out.back() == ' ') out.pop_back();  // no trailing blank
    out += piece(id);
  }
  return out;
}

void WordTokenizer::save(const std::string& dir) const {
  write_file_atomic(dir + "/tokenizer.json",
                    nlohmann::json{{"kind", "word"}, {"words", words_}}.dump() + "\n");
}

}  // namespace spikessm

#include "spikessm/text/word_tokenizer.h"

#include <cctype>
#include <cstdio>
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

// Offset of the first byte that is not valid UTF-8 (RFC 3629: no overlong forms, surrogates or
// code points past U+10FFFF, as nlohmann::json checks when it writes), or npos.
size_t invalid_utf8_at(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, n = s.size(); i < n;) {
    const unsigned c = p[i];
    size_t len = 1;
    unsigned lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
    if (c < 0x80)
      len = 1;
    else if (c >= 0xc2 && c <= 0xdf)
      len = 2;
    else if (c >= 0xe0 && c <= 0xef)
      len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
      len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
      return i;
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k)
      if (p[i + k] < (k == 1 ? lo : 0x80) || p[i + k] > (k == 1 ? hi : 0xbf)) return i;
    i += len;
  }
  return std::string::npos;
}

}  // namespace

WordTokenizer WordTokenizer::train(const std::string& text, const std::string& where) {
  if (const size_t at = invalid_utf8_at(text); at != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", unsigned(static_cast<unsigned char>(text[at])));
    throw InputError(where + ": not UTF-8 text (byte " + byte + " at offset " + std::to_string(at) +
                     "); the word tokenizer needs UTF-8 (convert it, e.g. with iconv, or use "
                     "lm.tokenizer = byte)");
  }
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

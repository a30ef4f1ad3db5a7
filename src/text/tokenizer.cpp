#include "spikessm/text/tokenizer.h"

#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/text/bpe_tokenizer.h"
#include "spikessm/text/byte_tokenizer.h"
#include "spikessm/text/word_tokenizer.h"

namespace spikessm {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

int64_t count_words(const std::string& text) {
  int64_t n = 0;
  bool in_word = false;
  for (char ch : text) {
    if (ch == '\n') {
      n += in_word ? 2 : 1;  // the word, then <eos>
      in_word = false;
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      n += in_word ? 1 : 0;
      in_word = false;
    } else {
      in_word = true;
    }
  }
  if (!text.empty() && text.back() != '\n') n += in_word ? 2 : 1;  // the unterminated last line
  return n;
}

std::unique_ptr<Tokenizer> train_tokenizer(const std::string& kind, const std::string& train_text,
                                           int64_t bpe_vocab, const std::string& where) {
  if (kind == "byte") return std::make_unique<ByteTokenizer>();
  if (kind == "word")
    return std::make_unique<WordTokenizer>(WordTokenizer::train(train_text, where));
  if (kind == "bpe") return BpeTokenizer::train(train_text, bpe_vocab);
  throw InputError("lm.tokenizer: unknown tokenizer '" + kind + "' (expected byte, word or bpe)");
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir) {
  const std::string path = dir + "/tokenizer.json";
  if (!std::filesystem::exists(path))
    throw InputError(path + ": no tokenizer next to the checkpoint (train writes it there)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_bytes(path));
  } catch (const nlohmann::json::parse_error& e) {
    // Where, not what: nlohmann's message quotes the bytes it read, which may be any bytes.
    throw InputError(path + ": not valid JSON (syntax error at byte " + std::to_string(e.byte) +
                     "; expected the tokenizer.json written by train)");
  }
  // Types first: nlohmann's accessors would throw a type_error naming no file.
  require(j.is_object() && j.contains("kind") && j["kind"].is_string(), path,
          "expected a JSON object with a string \"kind\" (byte, word or bpe)");
  const std::string kind = j["kind"].get<std::string>();
  if (kind == "byte") return std::make_unique<ByteTokenizer>();
  if (kind == "word") {
    if (!j.contains("words") || !j["words"].is_array())
      throw InputError(path + ": a word tokenizer needs a \"words\" array");
    std::vector<std::string> words;
    for (const auto& w : j["words"]) {
      if (!w.is_string()) throw InputError(path + ": \"words\" must hold strings only");
      words.push_back(w.get<std::string>());
    }
    return std::make_unique<WordTokenizer>(std::move(words), path);
  }
  if (kind == "bpe") {
    const std::string model = dir + "/tokenizer.model";
    if (!std::filesystem::exists(model))
      throw InputError(model + ": missing (the bpe tokenizer's sentencepiece model)");
    return std::make_unique<BpeTokenizer>(read_file_bytes(model), model);
  }
  throw InputError(path + ": \"kind\" must be byte, word or bpe, got '" + kind + "'");
}

}  // namespace spikessm

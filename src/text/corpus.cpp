#include "spikessm/text/corpus.h"

#include <filesystem>

#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/common/subprocess.h"

namespace spikessm {
namespace fs = std::filesystem;

namespace {

std::string read_split(const std::string& path) {
  std::string text = read_file_bytes(path);
  require(!text.empty(), path, "is empty (a language-model split needs text)");
  return text;
}

// Moves a byte offset forward to the start of a UTF-8 character.
size_t char_boundary(const std::string& s, size_t i) {
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

}  // namespace

LmCorpus split_raw_text(const std::string& text, const std::string& name,
                        const std::string& description) {
  const size_t n = text.size();
  const size_t a = char_boundary(text, n * 90 / 100), b = char_boundary(text, n * 95 / 100);
  require(a > 0 && b > a && n > b, description,
          "is too short to split 90/5/5 (" + std::to_string(n) + " bytes)");
  return LmCorpus{name, description, text.substr(0, a), text.substr(a, b - a), text.substr(b)};
}

std::string read_bible_kjv() {
  const ProcessResult r = run_program({"bible", "-f", "Gen1:1-Rev22:21"});
  const std::string& raw = r.out;
  require(raw.size() > 1000000, "lm.data_dir",
          "is empty, and the default corpus needs the King James Bible from Debian "
          "(apt-get install bible-kjv bible-kjv-text, or scripts/setup.sh), or set lm.data_dir");
  // "Ge1:1 In the beginning ..." -> "In the beginning ..."
  std::string text;
  text.reserve(raw.size());
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t nl = raw.find('\n', pos);
    if (nl == std::string::npos) nl = raw.size();
    const size_t sp = raw.find(' ', pos);
    const size_t start = (sp != std::string::npos && sp < nl) ? sp + 1 : pos;
    text.append(raw, start, nl - start);
    text += '\n';
    pos = nl + 1;
  }
  return text;
}

namespace {

LmCorpus from_source(LmCorpus c, const std::string& train_source) {
  c.train_source = train_source;
  return c;
}

}  // namespace

LmCorpus load_corpus(const std::string& path, CorpusSplits splits) {
  if (path.empty())
    return from_source(
        split_raw_text(read_bible_kjv(), "bible-kjv",
                       "King James Bible (Debian bible-kjv), split 90/5/5 by characters"),
        "the King James Bible (bible -f)");
  if (fs::is_regular_file(path))
    return from_source(
        split_raw_text(read_split(path), "raw", path + ", split 90/5/5 by characters"), path);
  require(fs::is_directory(path), "lm.data_dir",
          "'" + path + "' is neither a directory nor a file");
  auto has = [&](const std::string& f) { return fs::is_regular_file(path + "/" + f); };
  const bool all = splits == CorpusSplits::All;
  auto triple = [&](const std::string& name, const std::string& pre, const std::string& post) {
    const std::string train = path + "/" + pre + "train" + post;
    return LmCorpus{name,
                    path + " (" + name + " layout)",
                    all ? read_split(train) : "",
                    all ? read_split(path + "/" + pre + "valid" + post) : "",
                    read_split(path + "/" + pre + "test" + post),
                    train};
  };
  if (has("train.txt") && has("valid.txt") && has("test.txt"))
    return triple("wikitext", "", ".txt");
  if (has("wiki.train.tokens")) return triple("wikitext", "wiki.", ".tokens");
  if (has("ptb.train.txt")) return triple("ptb", "ptb.", ".txt");
  if (has("input.txt"))
    return from_source(split_raw_text(read_split(path + "/input.txt"), "raw",
                                      path + "/input.txt, split 90/5/5 by characters"),
                       path + "/input.txt");
  throw InputError("lm.data_dir: '" + path +
                   "' holds no corpus (expected {train,valid,test}.txt, "
                   "wiki.{train,valid,test}.tokens, ptb.{train,valid,test}.txt or input.txt)");
}

}  // namespace spikessm

#include "spikessm/text/bpe_tokenizer.h"

#include <stdlib.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "spikessm/common/atomic_file.h"
#include "spikessm/common/error.h"
#include "spikessm/common/file_bytes.h"
#include "spikessm/common/subprocess.h"

// sentencepiece runs as Debian's command-line tools (spm_train, spm_encode, spm_export_vocab):
// libsentencepiece bundles its own protobuf and exports its symbols, which clash with the
// protobuf libtorch loads (a crash at start-up), so it cannot live in our process.
namespace spikessm {
namespace fs = std::filesystem;

namespace {

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "spikessm_bpe_XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw InputError("lm.tokenizer: cannot create a temporary directory for sentencepiece");
  return tmpl;
}

// Runs one of sentencepiece's tools without a shell: argv as it is (temporary paths can hold
// anything TMPDIR holds).
ProcessResult run_spm(const std::vector<std::string>& argv, const std::string& in = "",
                      const std::string& out = "/dev/null") {
  ProcessOptions o;
  o.stdin_file = in;
  o.stdout_file = out;
  return run_program(argv, o);
}

// A missing tool is named, rather than reported as the tool refusing its input.
InputError spm_missing(const std::string& tool) {
  return InputError(tool +
                    ": not found; the BPE tokenizer needs Debian's sentencepiece "
                    "(apt-get install sentencepiece, or scripts/setup.sh)");
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw InputError(path + ": cannot write");
}

bool is_byte_piece(const std::string& p) {
  return p.size() == 6 && p.compare(0, 3, "<0x") == 0 && p[5] == '>' &&
         std::isxdigit(static_cast<unsigned char>(p[3])) &&
         std::isxdigit(static_cast<unsigned char>(p[4]));
}

}  // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::train(const std::string& text, int64_t vocab_size) {
  require(vocab_size >= 300 && vocab_size <= 1000000, "lm.bpe_vocab",
          std::to_string(vocab_size) + " (expected 300 to 1000000: 256 byte pieces + merges)");
  const std::string dir = make_temp_dir();
  std::string lines;  // sentencepiece trains on lines; empty ones carry nothing
  lines.reserve(text.size());
  for (const auto& l : split_lines(text))
    if (!l.empty()) lines += l + "\n";
  write_text(dir + "/train.txt", lines);
  // Identity normalisation, no dummy prefix, whitespace kept, byte fallback: lossless.
  const auto r = run_spm(
      {"spm_train", "--input=" + dir + "/train.txt", "--model_prefix=" + dir + "/m",
       "--model_type=bpe", "--vocab_size=" + std::to_string(vocab_size),
       "--character_coverage=0.9995", "--byte_fallback=true", "--normalization_rule_name=identity",
       "--add_dummy_prefix=false", "--remove_extra_whitespaces=false", "--split_digits=true",
       "--max_sentence_length=1000000", "--input_sentence_size=2000000",
       "--shuffle_input_sentence=true", "--num_threads=2", "--minloglevel=2"});
  std::string model;
  if (r.ok() && fs::exists(dir + "/m.model")) model = read_file_bytes(dir + "/m.model");
  fs::remove_all(dir);
  if (!r.found) throw spm_missing("spm_train");
  if (model.empty())
    throw InputError(
        "lm.bpe_vocab: sentencepiece (spm_train) could not train a " + std::to_string(vocab_size) +
        "-piece BPE on the training split (is Debian's sentencepiece installed? is the vocabulary "
        "larger than the text allows?)");
  return std::make_unique<BpeTokenizer>(model, "the trained BPE model");
}

BpeTokenizer::BpeTokenizer(const std::string& model_bytes, const std::string& where)
    : model_bytes_(model_bytes), where_(where), dir_(make_temp_dir()) {
  write_text(dir_ + "/m.model", model_bytes_);
  const auto r = run_spm(
      {"spm_export_vocab", "--model=" + dir_ + "/m.model", "--output=" + dir_ + "/vocab.tsv"});
  if (!r.ok()) {
    fs::remove_all(dir_);
    if (!r.found) throw spm_missing("spm_export_vocab");
    throw InputError(where + ": not a sentencepiece model (spm_export_vocab refused it)");
  }
  std::ifstream in(dir_ + "/vocab.tsv");
  std::string line;
  while (std::getline(in, line)) pieces_.push_back(line.substr(0, line.find('\t')));
  eos_ = -1;
  for (size_t i = 0; i < pieces_.size(); ++i)
    if (pieces_[i] == "</s>") eos_ = int64_t(i);
  if (eos_ < 0 || pieces_.size() < 260) {
    fs::remove_all(dir_);
    throw InputError(
        where + ": the sentencepiece model has no </s> piece (needed as <eos>) or too few pieces");
  }
}

BpeTokenizer::~BpeTokenizer() { fs::remove_all(dir_); }

int64_t BpeTokenizer::vocab_size() const { return int64_t(pieces_.size()); }

std::vector<int64_t> BpeTokenizer::encode(const std::string& text) const {
  const auto lines = split_lines(text);
  std::string joined;
  joined.reserve(text.size() + lines.size());
  for (const auto& l : lines) joined += l + "\n";
  write_text(dir_ + "/in.txt", joined);
  const auto r = run_spm({"spm_encode", "--model=" + dir_ + "/m.model", "--output_format=id"},
                         dir_ + "/in.txt", dir_ + "/out.txt");
  if (!r.found) throw spm_missing("spm_encode");
  if (!r.ok())
    throw InputError(where_ + ": spm_encode failed to encode " + std::to_string(lines.size()) +
                     " lines of text with this sentencepiece model (" + r.error_line() + ")");
  auto bad_output = [&](const std::string& what) {
    return InputError(where_ + ": spm_encode answered " + what +
                      " (expected one line of ids below " + std::to_string(vocab_size()) +
                      " per input line)");
  };
  std::ifstream in(dir_ + "/out.txt");
  std::vector<int64_t> ids;
  std::string out_line;
  size_t n = 0;
  while (std::getline(in, out_line)) {  // one output line per input line
    const char* p = out_line.data();
    const char* end = p + out_line.size();
    while (p < end) {
      if (*p == ' ') {
        ++p;
        continue;
      }
      int64_t id = -1;
      const auto [next, ec] = std::from_chars(p, end, id);
      if (ec != std::errc() || id < 0 || id >= vocab_size() || (next < end && *next != ' '))
        throw bad_output("'" + out_line.substr(0, 40) + "' on line " + std::to_string(n + 1));
      ids.push_back(id);
      p = next;
    }
    ids.push_back(eos_);
    ++n;
  }
  if (n != lines.size())
    throw bad_output(std::to_string(n) + " lines for " + std::to_string(lines.size()));
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (int64_t id : ids) out += piece(id);
  return out;
}

std::string BpeTokenizer::piece(int64_t id) const {
  TORCH_CHECK(id >= 0 && id < vocab_size(), "[BpeTokenizer] id ", id, " outside the vocabulary");
  if (id == eos_) return "\n";
  const std::string& p = pieces_[size_t(id)];
  if (is_byte_piece(p)) return std::string(1, char(std::stoi(p.substr(3, 2), nullptr, 16)));
  if (p == "<unk>" || p == "<s>") return "";
  std::string out;
  const std::string space = "\xE2\x96\x81";  // U+2581, sentencepiece's visible space
  for (size_t i = 0; i < p.size();) {
    if (p.compare(i, space.size(), space) == 0) {
      out += ' ';
      i += space.size();
    } else {
      out += p[i++];
    }
  }
  return out;
}

void BpeTokenizer::save(const std::string& dir) const {
  write_file_atomic(dir + "/tokenizer.model", model_bytes_);
  write_file_atomic(dir + "/tokenizer.json",
                    nlohmann::json{{"kind", "bpe"}, {"vocab_size", vocab_size()}}.dump() + "\n");
}

}  // namespace spikessm

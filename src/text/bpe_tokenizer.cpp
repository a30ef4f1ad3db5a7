#include "spikessm/text/bpe_tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "spikessm/common/error.h"
#include "spikessm/train/trainer.h"

namespace spikessm {
namespace {

// Feeds the non-empty lines of a text to the sentencepiece trainer without copying it.
class LineIterator : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(const std::string& text) : text_(text) { Next(); }
  bool done() const override { return done_; }
  void Next() override {
    while (pos_ < text_.size()) {
      size_t nl = text_.find('\n', pos_);
      if (nl == std::string::npos) nl = text_.size();
      line_.assign(text_, pos_, nl - pos_);
      pos_ = nl + 1;
      if (!line_.empty()) return;
    }
    done_ = true;
  }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::string& text_;
  size_t pos_ = 0;
  std::string line_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<BpeTokenizer> BpeTokenizer::train(const std::string& text, int64_t vocab_size) {
  require(vocab_size >= 300 && vocab_size <= 1000000, "lm.bpe_vocab",
          std::to_string(vocab_size) + " (expected 300 to 1000000: 256 byte pieces + merges)");
  // Identity normalisation, no dummy prefix, whitespace kept, byte fallback: lossless.
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(vocab_size)},
      {"character_coverage", "0.9995"},
      {"byte_fallback", "true"},
      {"normalization_rule_name", "identity"},
      {"add_dummy_prefix", "false"},
      {"remove_extra_whitespaces", "false"},
      {"split_digits", "true"},
      {"max_sentence_length", "1000000"},
      {"input_sentence_size", "2000000"},
      {"shuffle_input_sentence", "true"},
      {"num_threads", "2"},
      {"minloglevel", "2"},
  };
  LineIterator lines(text);
  std::string model;
  const auto st = sentencepiece::SentencePieceTrainer::Train(args, &lines, &model);
  if (!st.ok())
    throw InputError("lm.bpe_vocab: sentencepiece could not train a " + std::to_string(vocab_size) +
                     "-piece BPE on the training split (" + st.ToString() + ")");
  return std::make_unique<BpeTokenizer>(model, "the trained BPE model");
}

BpeTokenizer::BpeTokenizer(const std::string& model_bytes, const std::string& where)
    : model_bytes_(model_bytes), sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  const auto st = sp_->LoadFromSerializedProto(model_bytes_);
  if (!st.ok()) throw InputError(where + ": not a sentencepiece model (" + st.ToString() + ")");
  eos_ = sp_->eos_id();
  require(eos_ >= 0, where, "the sentencepiece model has no </s> piece (needed as <eos>)");
}

BpeTokenizer::~BpeTokenizer() = default;

int64_t BpeTokenizer::vocab_size() const { return sp_->GetPieceSize(); }

std::vector<int64_t> BpeTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  std::vector<int> line_ids;
  for (const auto& line : split_lines(text)) {
    const auto st = sp_->Encode(line, &line_ids);
    TORCH_CHECK(st.ok(), "[BpeTokenizer] encode failed: ", st.ToString());
    ids.insert(ids.end(), line_ids.begin(), line_ids.end());
    ids.push_back(eos_);
  }
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out, part;
  std::vector<int> line;
  auto flush = [&] {
    const auto st = sp_->Decode(line, &part);
    TORCH_CHECK(st.ok(), "[BpeTokenizer] decode failed: ", st.ToString());
    out += part;
    line.clear();
  };
  for (int64_t id : ids) {
    TORCH_CHECK(id >= 0 && id < vocab_size(), "[BpeTokenizer] id ", id, " outside the vocabulary");
    if (id == eos_) {
      flush();
      out += '\n';
    } else {
      line.push_back(int(id));
    }
  }
  flush();
  return out;
}

std::string BpeTokenizer::piece(int64_t id) const {
  TORCH_CHECK(id >= 0 && id < vocab_size(), "[BpeTokenizer] id ", id, " outside the vocabulary");
  if (id == eos_) return "\n";
  if (sp_->IsByte(int(id))) {  // "<0xE3>": one raw byte
    const std::string p = sp_->IdToPiece(int(id));
    return std::string(1, char(std::stoi(p.substr(3, 2), nullptr, 16)));
  }
  if (sp_->IsControl(int(id)) || sp_->IsUnknown(int(id))) return "";
  std::string p = sp_->IdToPiece(int(id)), out;
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

#include "spikessm/text/lm_data.h"

#include <filesystem>

#include "spikessm/common/error.h"

namespace spikessm {

torch::Tensor to_token_tensor(const std::vector<int64_t>& ids) {
  return torch::from_blob(const_cast<int64_t*>(ids.data()), {int64_t(ids.size())}, torch::kLong)
      .clone();
}

std::string text_prefix(const std::string& text, int64_t max_chars) {
  if (max_chars <= 0 || int64_t(text.size()) <= max_chars) return text;
  const size_t nl = text.rfind('\n', size_t(max_chars));
  return text.substr(0, nl == std::string::npos ? size_t(max_chars) : nl + 1);
}

LmDataOptions lm_data_options(const Config& cfg) {
  LmDataOptions o;
  o.data_dir = cfg.get_string("lm.data_dir");
  o.tokenizer = cfg.get_string("lm.tokenizer");
  o.bpe_vocab = cfg.get_int("lm.bpe_vocab");
  o.context = cfg.get_int("lm.context");
  return o;
}

LmData load_lm_data(const LmDataOptions& o, const std::string& tokenizer_dir) {
  LmData d;
  d.corpus = load_corpus(o.data_dir);
  const std::string& kind = o.tokenizer;
  if (!tokenizer_dir.empty() && std::filesystem::exists(tokenizer_dir + "/tokenizer.json")) {
    d.tokenizer = load_tokenizer(tokenizer_dir);
    require(d.tokenizer->kind() == kind, tokenizer_dir + "/tokenizer.json",
            "holds a " + d.tokenizer->kind() + " tokenizer but lm.tokenizer is " + kind);
  } else {
    d.tokenizer = train_tokenizer(kind, d.corpus.train, o.bpe_vocab, d.corpus.train_source);
  }
  d.train = to_token_tensor(d.tokenizer->encode(d.corpus.train));
  d.valid = to_token_tensor(d.tokenizer->encode(d.corpus.valid));
  d.test = to_token_tensor(d.tokenizer->encode(d.corpus.test));
  const int64_t L = o.context;
  require(d.train.size(0) > L + 1, "lm.context",
          std::to_string(L) + " is longer than the " + std::to_string(d.train.size(0)) +
              " training tokens");
  return d;
}

}  // namespace spikessm

#pragma once
// A language-model run's data: the corpus, its tokenizer and the three token streams.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "spikessm/common/config.h"
#include "spikessm/text/corpus.h"
#include "spikessm/text/tokenizer.h"

namespace spikessm {

struct LmData {
  LmCorpus corpus;
  std::unique_ptr<Tokenizer> tokenizer;
  torch::Tensor train, valid, test;  // (N,) int64 token streams
};

// The text area's options (lm.data_dir, lm.tokenizer, lm.bpe_vocab, lm.context).
struct LmDataOptions {
  std::string data_dir;   // the corpus (text/corpus.h)
  std::string tokenizer;  // its kind when one is trained
  int64_t bpe_vocab = 0;
  int64_t context = 0;  // the training window: the training stream must be longer
};
LmDataOptions lm_data_options(const Config& cfg);

// The tokenizer is loaded from tokenizer_dir when it holds one (resume, eval), else trained on
// the training split (and not saved here).
LmData load_lm_data(const LmDataOptions& o, const std::string& tokenizer_dir);

// ids -> (N,) int64 tensor.
torch::Tensor to_token_tensor(const std::vector<int64_t>& ids);

// The prefix of text of at most max_chars bytes, cut after a newline (whole when 0 or short).
std::string text_prefix(const std::string& text, int64_t max_chars);

}  // namespace spikessm

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

// Reads lm.data_dir; the tokenizer is loaded from tokenizer_dir when it holds one (resume,
// eval), else trained on the training split per lm.tokenizer (and not saved here).
LmData load_lm_data(const Config& cfg, const std::string& tokenizer_dir);

// ids -> (N,) int64 tensor.
torch::Tensor to_token_tensor(const std::vector<int64_t>& ids);

// The prefix of text of at most max_chars bytes, cut after a newline (whole when 0 or short).
std::string text_prefix(const std::string& text, int64_t max_chars);

}  // namespace spikessm

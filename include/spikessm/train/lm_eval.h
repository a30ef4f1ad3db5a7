#pragma once
// Language-model evaluation: cross-entropy over a token stream, turned into perplexity per
// token and per word, bits per byte (= bits per character on ASCII text), and the spiking
// rates and energy per token.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "spikessm/metrics/energy.h"
#include "spikessm/models/language_model.h"

namespace spikessm {

struct LmEvalResult {
  double nll_sum = 0;  // nats, over every scored target
  int64_t tokens = 0;  // targets scored (the stream's length - 1)
  int64_t bytes = 0;   // bytes of the evaluated text
  int64_t words = 0;   // words of the text (whitespace words + one <eos> per line)
  OpsReport ops;       // per token, when statistics were collected

  double nll() const { return tokens > 0 ? nll_sum / double(tokens) : 0.0; }
  double token_ppl() const;
  // Word-level perplexity: exp(total nats / predicted words); with the word tokenizer this is
  // the usual WikiText/PTB perplexity, with others it is comparable to it.
  double word_ppl() const;
  double bits_per_byte() const;
  nlohmann::json to_json() const;
};

// tokens: (N,) of a text with `bytes` bytes and `words` words; windows of `context` tokens
// moved by `stride` (= context: non-overlapping), `batch` windows at a time (lm_eval_batches).
// The evaluation as text: perplexities and bits per byte, then the per-layer table per token.
std::string lm_eval_text(const LmEvalResult& r, const std::string& split);

LmEvalResult evaluate_lm(LanguageModelImpl& model, const torch::Tensor& tokens, int64_t context,
                         int64_t stride, int64_t batch, int64_t bytes, int64_t words,
                         bool with_stats, bool show_progress);

}  // namespace spikessm

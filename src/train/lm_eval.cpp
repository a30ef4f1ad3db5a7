#include "spikessm/train/lm_eval.h"

#include <cmath>
#include <cstdio>

#include "spikessm/text/lm_batches.h"
#include "spikessm/common/progress.h"

namespace spikessm {

double LmEvalResult::token_ppl() const { return std::exp(nll()); }

double LmEvalResult::word_ppl() const {
  // The stream's first token is never a target: one word fewer is predicted.
  return words > 1 ? std::exp(nll_sum / double(words - 1)) : 0.0;
}

double LmEvalResult::bits_per_byte() const {
  return bytes > 1 ? nll_sum / std::log(2.0) / double(bytes - 1) : 0.0;
}

nlohmann::json LmEvalResult::to_json() const {
  nlohmann::json j{{"nll_per_token", nll()}, {"token_ppl", token_ppl()},
                   {"word_ppl", word_ppl()}, {"bits_per_byte", bits_per_byte()},
                   {"tokens", tokens},       {"bytes", bytes},
                   {"words", words}};
  if (!ops.layers.empty()) {
    j["ops_per_token"] = ops.to_json();
    j["mean_spiking_rate"] = ops.mean_rate;
    j["energy_uj_per_token"] = ops.energy_uj(false);
  }
  return j;
}

LmEvalResult evaluate_lm(LanguageModelImpl& model, const torch::Tensor& tokens, int64_t context,
                         int64_t stride, int64_t batch, int64_t bytes, int64_t words,
                         bool with_stats, bool show_progress) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  model.set_collect_stats(with_stats);
  LmEvalResult r;
  r.bytes = bytes;
  r.words = words;
  const auto batches = lm_eval_batches(tokens, batch, context, stride);
  Progress bar("eval ", int64_t(batches.size()));
  for (size_t i = 0; i < batches.size(); ++i) {
    const auto& b = batches[i];
    auto logits = model.forward(b.x);  // (B, L, V)
    r.nll_sum += torch::cross_entropy_loss(logits.reshape({-1, logits.size(2)}), b.y.reshape({-1}),
                                           {}, at::Reduction::Sum)
                     .item<double>();
    r.tokens += b.y.ne(-100).sum().item<int64_t>();  // the scored targets
    if (show_progress) {
      char extra[64];
      std::snprintf(extra, sizeof extra, "nll %.4f", r.nll());
      bar.update(int64_t(i) + 1, r.tokens, extra);
    }
  }
  if (show_progress) bar.finish();
  if (with_stats) r.ops = model.ops_report();
  model.set_collect_stats(false);
  model.train(was_training);
  return r;
}

std::string lm_eval_text(const LmEvalResult& r, const std::string& split) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s: %lld tokens, %.4f nats/token, token perplexity %.3f, word perplexity %.3f, "
                "%.4f bits per byte\n",
                split.c_str(), (long long)r.tokens, r.nll(), r.token_ppl(), r.word_ppl(),
                r.bits_per_byte());
  return line + (r.ops.layers.empty() ? std::string() : "per token:\n" + r.ops.to_table());
}

}  // namespace spikessm

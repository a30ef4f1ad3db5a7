// `spikessm eval --checkpoint F` for a language model: the test split of the corpus it was
// trained on (or --set lm.data_dir=...), word perplexity, bits per byte, spikes and energy.
#include <cstdio>

#include "commands.h"
#include "spikessm/text/lm_data.h"
#include "spikessm/train/lm_checkpoint.h"
#include "spikessm/train/lm_trainer.h"

namespace spikessm::cli {

void eval_lm_checkpoint(const std::string& checkpoint, const std::vector<std::string>& sets,
                        const std::string& json_out) {
  auto lm = load_lm_checkpoint(checkpoint, sets);
  const auto corpus = load_corpus(lm.cfg.get_string("lm.data_dir"));
  const LmEvalWindows win = lm_eval_windows(lm.cfg);
  auto ids = to_token_tensor(lm.tokenizer->encode(corpus.test));
  auto r = evaluate_lm(*lm.model, ids, win.context, win.stride, lm.cfg.get_int("train.eval_batch_size"),
                       int64_t(corpus.test.size()), count_words(corpus.test), true, true);
  std::printf("data: %s; %s tokenizer; model %s%s\n", corpus.description.c_str(), lm.tokenizer->kind().c_str(),
              lm.model->family().c_str(), lm.model->spiking() ? "" : " (non-spiking)");
  print_lm_eval(r, "test");
  if (!json_out.empty()) {
    auto j = r.to_json();
    j["split"] = "test";
    j["family"] = lm.model->family();
    j["spiking"] = lm.model->spiking();
    write_file_atomic(json_out, j.dump(2) + "\n");
  }
}

}  // namespace spikessm::cli

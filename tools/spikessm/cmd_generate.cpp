// `spikessm generate --checkpoint F --prompt TEXT --max-tokens N [--temperature T] [--top-k K]
//  [--top-p P] [--seed S] [--state-in FILE] [--state-out FILE]`
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "spikessm/common/error.h"
#include "spikessm/infer/generate.h"
#include "spikessm/train/trained_model.h"

namespace spikessm::cli {

namespace {

struct GenerateArgs {
  std::string checkpoint, prompt, state_in, state_out;
  int64_t max_tokens = 100, threads = 0;
  bool quiet = false;
  SamplingOptions s;
};

void print_speed(const GenerateStats& stats) {
  std::fprintf(stderr,
               "prompt: %lld tokens in %.3f s (%.1f tokens/s); generated: %lld tokens in %.3f s "
               "(%.1f tokens/s); peak RSS %.1f MiB\n",
               (long long)stats.prompt_tokens, stats.prompt_seconds,
               stats.prompt_seconds > 0 ? double(stats.prompt_tokens) / stats.prompt_seconds : 0.0,
               (long long)stats.generated, stats.generate_seconds,
               stats.generate_seconds > 0 ? double(stats.generated) / stats.generate_seconds : 0.0,
               peak_rss_mib());
}

void run_generate(const GenerateArgs& a) {
  check_sampling(a.s);
  require(!a.prompt.empty() || !a.state_in.empty(), "--prompt",
          "is empty (give a prompt, or --state-in to continue a saved state)");
  set_threads(a.threads);
  auto lm = load_trained_model(a.checkpoint);
  require(lm.is_language_model(), a.checkpoint,
          "is a classifier checkpoint, not a language model's");
  auto& model = *lm.lm;
  GenState g;
  GenerateStats stats;
  const bool have_state = !a.state_in.empty();
  if (have_state) g = load_gen_state(a.state_in, model, nullptr);
  // The prompt ends where the user's text ends: no <eos> after its last line.
  std::vector<int64_t> prompt = lm.tokenizer->encode(a.prompt);
  if (!a.prompt.empty() && a.prompt.back() != '\n' && lm.tokenizer->kind() != "byte" &&
      !prompt.empty())
    prompt.pop_back();
  read_prompt(model, prompt, have_state, g, stats);
  if (!a.quiet) {
    std::fputs(a.prompt.c_str(), stdout);
    // Word pieces carry their blank after the word: the prompt's last word needs one too.
    if (lm.tokenizer->kind() == "word" && !a.prompt.empty() && a.prompt.back() != ' ' &&
        a.prompt.back() != '\n')
      std::fputs(" ", stdout);
    std::fflush(stdout);
  }
  generate_tokens(
      model, a.max_tokens, a.s, g,
      [&](int64_t id) {
        if (a.quiet) return;
        std::fputs(lm.tokenizer->piece(id).c_str(), stdout);
        std::fflush(stdout);
      },
      stats);
  if (!a.quiet) std::fputs("\n", stdout);
  std::fflush(stdout);  // the text before the statistics line
  if (!a.state_out.empty())
    save_gen_state(a.state_out, g,
                   {{"family", model.family()},
                    {"spiking", model.spiking()},
                    {"vocab", model.vocab_size()},
                    {"checkpoint", a.checkpoint}});
  print_speed(stats);
}

}  // namespace

void add_lm_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand(
      "generate", "generate text with a language model, printing tokens as they come");
  cmd->add_option("--checkpoint", a->checkpoint, "checkpoint.pt of a language model")->required();
  cmd->add_option("--prompt", a->prompt, "text to continue (read in parallel mode)");
  cmd->add_option("--max-tokens", a->max_tokens, "tokens to generate (default 100)")
      ->check(int_range(0, 100000000));
  cmd->add_option("--temperature", a->s.temperature, "sampling temperature (0: greedy; default 1)")
      ->check(real_range(0, 100));
  cmd->add_option("--top-k", a->s.top_k, "keep the k most likely tokens (0: all)")
      ->check(int_range(0, 1000000000));
  cmd->add_option("--top-p", a->s.top_p, "nucleus sampling mass in (0, 1] (1: all)")
      ->check(real_range(0, 1, true));
  cmd->add_option("--seed", a->s.seed, "sampling seed (default 0)")->check(range_of("train.seed"));
  cmd->add_option("--state-in", a->state_in, "continue from a state saved by --state-out");
  cmd->add_option("--state-out", a->state_out, "save the state after the last token to this file")
      ->check(output_file());
  cmd->add_option("--threads", a->threads, "intra-op threads (0: all cores)")
      ->check(range_of("train.threads"));
  cmd->add_flag("--quiet", a->quiet, "print only the statistics, not the text");
  cmd->callback([a] { run_generate(*a); });
}

}  // namespace spikessm::cli

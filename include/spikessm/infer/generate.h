#pragma once
// Streaming generation with any LanguageModel: the prompt is read in parallel mode
// (forward_with_state), then one token a step in recurrent mode, so memory per token is
// constant. The state (plus the logits of the next token) can be saved and resumed.
#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spikessm/models/language_model.h"

namespace spikessm {

struct SamplingOptions {
  double temperature = 1.0;  // 0: greedy (argmax)
  int64_t top_k = 0;         // keep the k most likely tokens (0: all)
  double top_p = 1.0;        // keep the smallest set with this much probability (1: all)
  uint64_t seed = 0;
};

// Checks the options; InputError naming the flag (--temperature, --top-k, --top-p).
void check_sampling(const SamplingOptions& o);

// logits: (V,) -> a token id drawn by temperature / top-k / top-p from gen.
int64_t sample_token(const torch::Tensor& logits, const SamplingOptions& o, at::Generator& gen);

// Where generation stands: the model state after every token read, and the logits (1, V)
// for the next one.
struct GenState {
  LmState state;
  torch::Tensor next_logits;
  int64_t tokens_seen = 0;
};

struct GenerateStats {
  int64_t prompt_tokens = 0, generated = 0;
  double prompt_seconds = 0, generate_seconds = 0;
};

// Reads the prompt: in parallel from a fresh state (have_state false), or step by step on
// top of a resumed one. prompt may be empty only when have_state.
void read_prompt(LanguageModelImpl& model, const std::vector<int64_t>& prompt, bool have_state,
                 GenState& g, GenerateStats& stats);
// Samples max_tokens tokens, calling on_token for each as soon as it is drawn; each token is
// fed back, so g stays consistent with everything emitted.
void generate_tokens(LanguageModelImpl& model, int64_t max_tokens, const SamplingOptions& o,
                     GenState& g, const std::function<void(int64_t)>& on_token,
                     GenerateStats& stats);

// State files (infer/state_file.h): a JSON section (family,
// vocabulary, tokens seen, checkpoint) and the tensors. Written atomically.
void save_gen_state(const std::string& path, const GenState& g, const nlohmann::json& info);
// InputError when the file is missing, corrupt, or written by another model/vocabulary.
GenState load_gen_state(const std::string& path, LanguageModelImpl& model, nlohmann::json* info);

// Peak resident memory of this process (VmHWM), in MiB.
double peak_rss_mib();

}  // namespace spikessm
